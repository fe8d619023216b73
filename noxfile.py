"""Developer sessions: `nox -s tests`, `nox -s lint`, `nox -s demo`, `nox -s bench`.

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
    session.install("-e", ".")
    session.run("platocr", "demo", "--out", "runs/demo", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Crops/s and video fps on this machine, written to runs/bench.json."""
    session.install("-e", ".")
    session.run("platocr", "bench", "--out", "runs/bench.json", *session.posargs)
