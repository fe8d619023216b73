"""Developer sessions: `nox -s tests`, `lint`, `demo`, `bench`, `train_plates_ru`, `train_barcodes_ean`.

Long training runs and speed measurements live here (and in `platocr bench`), not in the test suite.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (the same tests CI runs)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint + format check."""
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")


@nox.session
def demo(session: nox.Session) -> None:
    """The one-command tour (README's first command)."""
    session.install("-e", ".[train]")
    session.run("platocr", "demo", "--out", "runs/demo", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Crops/s and video fps on this machine, written to runs/bench.json."""
    session.install("-e", ".[train]")
    session.run("platocr", "bench", "--out", "runs/bench.json", *session.posargs)


@nox.session
def train_plates_ru(session: nox.Session) -> None:
    """Retrain the shipped plates-ru model (needs ../shared/data/cropnumbers; ~4 h on 2 CPU cores)."""
    session.install("-e", ".[train]")
    session.run("bash", "scripts/train_plates_ru.sh", *session.posargs, external=True)


@nox.session
def train_barcodes_ean(session: nox.Session) -> None:
    """Retrain the shipped barcodes-ean model from synthetic photos (~7.5 h on 2 CPU cores)."""
    session.install("-e", ".[train]")
    session.run("bash", "scripts/train_barcodes_ean.sh", *session.posargs, external=True)
