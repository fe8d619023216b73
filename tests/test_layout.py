"""The recognition and detection cores never reach training, synthesis, the command tools or the CLI.

Imports are read from the source (module level and inside functions alike) and followed through every
platocr module they reach, so an indirect path through another package counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import platocr

SRC = Path(platocr.__file__).resolve().parent
FORBIDDEN = ("platocr.train", "platocr.synth", "platocr.tools", "platocr.cli")


def module_file(name: str) -> Path | None:
    """The source file of a platocr module name (package -> its __init__.py), None if not one."""
    parts = name.split(".")[1:]
    path = SRC.joinpath(*parts)
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def platocr_imports(path: Path) -> set[str]:
    """Every platocr module ``path`` imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("platocr"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("platocr"):
            found.add(node.module)
            # ``from platocr.recognition import bars``: the name may be a module itself.
            found.update(
                f"{node.module}.{a.name}" for a in node.names if module_file(f"{node.module}.{a.name}")
            )
    return found


def reachable(start: str) -> dict[str, str]:
    """platocr modules reachable from ``start``, each with the module that first imported it."""
    seen = {start: ""}
    todo = [start]
    while todo:
        name = todo.pop()
        path = module_file(name)
        if path is None:
            continue
        for imported in platocr_imports(path):
            if imported not in seen:
                seen[imported] = name
                todo.append(imported)
    return seen


@pytest.mark.parametrize(("package", "at_least"), [("recognition", 10), ("detection", 3)])
def test_the_core_never_imports_training_synthesis_tools_or_cli(package: str, at_least: int) -> None:
    core = sorted(p for p in (SRC / package).glob("*.py"))
    assert len(core) >= at_least  # the rule is checked on the real package, not an empty folder
    offences = []
    for path in core:
        start = f"platocr.{package}.{path.stem}" if path.stem != "__init__" else f"platocr.{package}"
        for name, via in reachable(start).items():
            if name.startswith(FORBIDDEN):
                offences.append(f"{start} reaches {name} (imported by {via})")
    assert offences == []


def test_the_import_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from platocr.train import loop\n", encoding="utf-8")
    assert "platocr.train" in platocr_imports(source)
