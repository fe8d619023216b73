"""Named models shipped inside the package: ``src/platocr/models/<name>.pt`` (+ optional ``<name>.onnx``
and ``<name>.int8.onnx``, a static int8 quantisation the onnxruntime backend reads on a CPU).

Every place that accepts "a checkpoint path or a model name" (predictor, eval, gallery, video
``--model``, export, bench) resolves it with :func:`resolve_model`, so a name means the same
file everywhere and a missing one fails with the same message.
"""

from __future__ import annotations

from pathlib import Path

from platocr.errors import PlatocrError

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"  # src/platocr/models: shipped weights


def bundled_models() -> dict[str, Path]:
    """``{name: checkpoint path}`` of the models whose ``.pt`` file is present in the package."""
    return {path.stem: path for path in sorted(MODELS_DIR.glob("*.pt"))}


def bundled_onnx(name: str) -> Path | None:
    """The ``<name>.onnx`` shipped next to a bundled checkpoint, if any."""
    path = MODELS_DIR / f"{name}.onnx"
    return path if path.is_file() else None


def bundled_int8(name: str) -> Path | None:
    """The ``<name>.int8.onnx`` shipped next to a bundled checkpoint, if any."""
    path = MODELS_DIR / f"{name}.int8.onnx"
    return path if path.is_file() else None


def describe_bundled() -> str:
    """One line listing the bundled names."""
    return f"bundled models: {', '.join(bundled_models()) or 'none'}"


def resolve_model(name_or_path: str | Path) -> Path:
    """An existing checkpoint (``.pt``) or ONNX file path, or a bundled model name -> the file's path.

    Raises:
        PlatocrError: the path does not exist, or the name is not bundled (the message lists the
            bundled names).
    """
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    name = str(name_or_path)
    present = bundled_models()
    if name in present:
        return present[name]
    if path.suffix or len(path.parts) > 1:  # looks like a file the user meant
        raise PlatocrError(f"checkpoint not found: {path} ({describe_bundled()})")
    raise PlatocrError(f"unknown model {name!r}: not a file and not a bundled name ({describe_bundled()})")
