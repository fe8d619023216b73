"""The Typer app and the decorator every command uses (one-line errors, exit code 2).

Command modules must stay light at import time: import torch, cv2 and friends inside the command
function so that ``platocr --help`` answers fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from platocr.errors import PlatocrError

F = TypeVar("F", bound=Callable[..., Any])

# ``--decode`` of eval and gallery: None = the checkpoint config's decoder.
DecodeOption = Annotated[
    str | None,
    typer.Option(
        "--decode", help="CTC decoder: greedy, beam, checksum-ean or plate-ru (default: the checkpoint's)."
    ),
]

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


def command(name: str, *, target: typer.Typer | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register ``fn`` as ``platocr <name>`` (or on a sub-app ``target``).

    PlatocrError becomes one line on stderr and exit code 2 instead of a traceback.
    """

    def decorator(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            try:
                return fn(*args, **kw)
            except PlatocrError as exc:
                raise fail(str(exc)) from None

        (target or app).command(name, **kwargs)(wrapper)
        return fn

    return decorator
