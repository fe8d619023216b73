"""The Typer app and the decorator every command uses (one-line errors, exit code 2), and the listing of
skipped inputs that commands share.

Command modules must stay light at import time: import torch, cv2 and friends inside the command
function so that ``platocr --help`` and ``platocr read`` answer fast. The base install reads
(onnxruntime); the commands in :data:`TRAINING_COMMANDS` need the ``train`` extra and say so in one
line when it is missing (:func:`require_training_extra`).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from platocr.errors import PlatocrError

F = TypeVar("F", bound=Callable[..., Any])

# Commands that build, train or export torch models, and the train extra's modules they check for first.
TRAINING_COMMANDS = frozenset(
    {"train", "train-detector", "train-verifier", "export", "probe", "audit", "demo", "bench"}
)
# ...except when given this option: audit --apply only rewrites a label file.
LIGHT_WITH = {"audit": "apply"}
TRAINING_MODULES = ("torch", "torchvision", "timm", "albumentations", "onnx", "matplotlib")

app = typer.Typer(
    name="platocr",
    help="CRNN + CTC OCR for barcode digits and Russian licence plates: synthesise, crop, split, "
    "train, evaluate, and annotate video in real time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _package_version() -> str:
    """The installed distribution's version (the source tree's when platocr is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("platocr")
    except PackageNotFoundError:
        from platocr import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"platocr {_package_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,  # answer before a subcommand is looked up
            help="Print the platocr version and exit.",
        ),
    ] = False,
) -> None:
    """Options that apply before any subcommand (see the app's help)."""


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on one line to stderr and return the exit to raise (code 2)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported, found without importing it (torch alone takes seconds)."""
    if module in sys.modules:
        return sys.modules[module] is not None  # None: imports of it are blocked
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require_training_extra(command_name: str) -> None:
    """PlatocrError naming the ``train`` extra when a module of it is not installed."""
    if not all(_installed(module) for module in TRAINING_MODULES):
        raise PlatocrError(f"platocr {command_name} needs the training extra: pip install 'platocr[train]'")


def command(name: str, *, target: typer.Typer | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register ``fn`` as ``platocr <name>`` (or on a sub-app ``target``).

    PlatocrError becomes one line on stderr and exit code 2 instead of a traceback. A command of
    :data:`TRAINING_COMMANDS` first checks that the training extra is installed.
    """
    needs_training = target is None and name in TRAINING_COMMANDS

    def decorator(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            try:
                if needs_training and kw.get(LIGHT_WITH.get(name, "")) is None:
                    require_training_extra(name)
                return fn(*args, **kw)
            except PlatocrError as exc:
                raise fail(str(exc)) from None

        (target or app).command(name, **kwargs)(wrapper)
        return fn

    return decorator


def list_skips(skipped: list[Any], what: str) -> None:
    """The unreadable ``what`` (images, frames) of ``skipped`` (each with ``path`` and ``reason``), on
    stderr, one per line."""
    if skipped:
        typer.echo(f"skipped {len(skipped)} unreadable {what}:", err=True)
        for skip in skipped:
            typer.echo(f"  {skip.path}: {skip.reason}", err=True)


def counted(n: int, noun: str) -> str:
    """``"1 plate"``, ``"3 plates"``: a count with its noun (regular plurals only)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
