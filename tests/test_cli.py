"""The CLI surface: every subcommand is listed, help is fast (no heavy imports), errors are one line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from platocr.cli import app

SUBCOMMANDS = [
    "synth",
    "crop",
    "split",
    "probe",
    "train",
    "eval",
    "read",
    "gallery",
    "audit",
    "video",
    "export",
    "bench",
    "demo",
]
runner = CliRunner()


def test_help_lists_every_subcommand() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in SUBCOMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_subcommand_has_help(name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from platocr.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'cv2', 'timm', 'albumentations', 'av', 'onnxruntime') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY=\n" in out or out.rstrip().endswith("HEAVY="), out


def test_console_script_module_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "platocr", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "synth" in proc.stdout


def test_version_is_the_installed_one_and_light() -> None:
    from importlib.metadata import version

    code = (
        "import sys\n"
        "from platocr.cli import app\n"
        "try:\n    app(['--version'])\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
        "heavy = [m for m in ('torch', 'cv2', 'onnxruntime') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [f"platocr {version('platocr')}", "HEAVY="]
    assert runner.invoke(app, ["--version"]).output == f"platocr {version('platocr')}\n"
