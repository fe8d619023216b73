"""``platocr`` console entry point: one Typer app, one module per subcommand."""

from __future__ import annotations

from platocr.cli._app import app

# Importing a module registers its command (order = order in --help).
from platocr.cli import (  # noqa: E402,F401  isort: skip
    synth,
    crop,
    split,
    probe,
    train,
    train_detector,
    train_verifier,
    eval,
    read,
    gallery,
    audit,
    video,
    export,
    bench,
    demo,
)


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
