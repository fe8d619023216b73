"""Reading with onnxruntime never imports the training stack; the commands that need it name the extra.

The import checks run in a fresh interpreter (``python -c``): this test process has torch loaded
already. Without it ``platocr read`` starts in well under a second instead of several.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from platocr.cli import app
from platocr.recognition.zoo import bundled_onnx

HEAVY = ("torch", "timm", "torchvision", "albumentations", "onnx")
NO_HEAVY = f"heavy = {{m for m in {HEAVY!r} if m in sys.modules}}; assert not heavy, heavy"

needs_plates = pytest.mark.skipif(bundled_onnx("plates-ru") is None, reason="plates-ru.onnx is not shipped")


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, encoding="utf-8"
    )
    assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="module")
def crop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40x160 plate-like crop: dark strokes on white."""
    image = np.full((40, 160, 3), 235, np.uint8)
    cv2.putText(image, "A123BC", (6, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20, 20, 20), 2)
    path = tmp_path_factory.mktemp("crop") / "crop.png"
    cv2.imwrite(str(path), image)
    return path


def cpu_unless_no_driver() -> str:
    """``device='cpu'`` where an NVIDIA driver is (there backend auto rightly asks torch about CUDA)."""
    from platocr.recognition.backends import nvidia_driver_present

    return "device='cpu'" if nvidia_driver_present() else ""


@needs_plates
@pytest.mark.parametrize(
    "kwargs", ["backend='onnx', device='auto'", "backend='auto', device='cpu'", "default"]
)
def test_predictor_reads_without_torch(crop: Path, kwargs: str) -> None:
    kwargs = cpu_unless_no_driver() if kwargs == "default" else kwargs  # Predictor.load's defaults
    code = (
        "import sys; import numpy as np; from platocr import Predictor; "
        f"p = Predictor.load('plates-ru', {kwargs}); "
        "assert p.backend == 'onnx', p; "
        "one = p.predict(sys.argv[1]); "
        "many = p.predict_many([sys.argv[1], np.zeros((30, 90, 3), np.uint8)]); "
        "assert len(many) == 2 and many[0].text == one.text, (one, many); "
        f"print(repr(one.text)); {NO_HEAVY}"
    )
    run_python(code, str(crop))


@needs_plates
def test_read_command_runs_without_torch(crop: Path) -> None:
    from platocr.recognition.backends import nvidia_driver_present

    # backend auto: onnxruntime on a CPU; where an NVIDIA driver is, auto rightly asks torch about CUDA.
    cpu = ", '--device', 'cpu'" if nvidia_driver_present() else ""
    code = (
        "import sys; from platocr.cli import main; "
        f"sys.argv = ['platocr', 'read', 'plates-ru', sys.argv[1], '--no-progress'{cpu}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"{NO_HEAVY}"
    )
    out = run_python(code, str(crop))
    assert out.stdout.splitlines()[0] == "path\ttext\tconfidence"
    assert out.stdout.splitlines()[1].startswith(f"{crop}\t")
    assert "onnx on cpu" in out.stderr or "onnx on cuda" in out.stderr


@needs_plates
def test_eval_runs_without_torch_by_default(crop: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.tsv"
    labels.write_text(f"path\ttext\n{crop}\tA123BC77\n", encoding="utf-8")
    cpu = ", '--device', 'cpu'" if cpu_unless_no_driver() else ""
    code = (
        "import sys; from platocr.cli import main; "
        f"sys.argv = ['platocr', 'eval', 'plates-ru', sys.argv[1], '--no-progress'{cpu}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"{NO_HEAVY}"
    )
    out = run_python(code, str(labels))
    assert "StringMatch" in out.stdout and "onnx on c" in out.stdout


@needs_plates
def test_onnx_metadata_reads_without_torch_or_onnx() -> None:
    code = (
        "import sys; from platocr.recognition.zoo import bundled_onnx; "
        "from platocr.recognition.onnx_export import read_onnx_metadata; "
        "config, tokenizer, _ = read_onnx_metadata(bundled_onnx('plates-ru')); "
        f"assert 'A' in tokenizer.vocab and config.input.height > 0; {NO_HEAVY}"
    )
    run_python(code)


def test_cli_modules_import_light() -> None:
    # cli/__init__ imports every command module: all of them stay free of numpy, OpenCV and the models.
    heavy = (*HEAVY, "numpy", "cv2", "onnxruntime", "platocr.recognition.predictor")
    run_python(
        f"import sys, platocr.cli; loaded = [m for m in {heavy!r} if m in sys.modules]; assert not loaded"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["train"],
        ["demo", "--out", "{tmp}/demo"],
        ["export", "plates-ru", "--out", "{tmp}/m.onnx"],
        ["probe", "{tmp}/labels.tsv"],
        ["audit", "{tmp}/labels.tsv", "--out", "{tmp}/audit", "--folds", "2"],
        ["bench"],
        ["train-detector", "--train", "{tmp}/f", "--val", "{tmp}/f", "--out", "{tmp}/run"],
        ["train-verifier", "--train", "{tmp}/f", "--val", "{tmp}/f", "--out", "{tmp}/run"],
    ],
    ids=lambda args: args[0],
)
def test_training_commands_name_the_extra(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # what a missing package looks like to `import torch`
    result = CliRunner().invoke(app, [arg.format(tmp=tmp_path) for arg in args])
    assert result.exit_code == 2, result.output
    name = args[0]
    assert result.output == f"error: platocr {name} needs the training extra: pip install 'platocr[train]'\n"
    assert not list(tmp_path.iterdir())  # no work started


def test_audit_apply_needs_no_training_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((8, 24, 3), np.uint8))
    (tmp_path / "labels.tsv").write_text("path\ttext\na.png\t123\n", encoding="utf-8")
    (tmp_path / "kept.tsv").write_text("path\tsuggested\na.png\t124\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "torch", None)
    args = ["audit", "labels.tsv", "--apply", "kept.tsv", "--out", "fixed.tsv"]
    result = CliRunner().invoke(app, [str(tmp_path / a) if a.endswith(".tsv") else a for a in args])
    assert result.exit_code == 0, result.output  # --apply only rewrites the label file
    assert "a.png\t124" in (tmp_path / "fixed.tsv").read_text(encoding="utf-8")


def test_torch_backend_without_torch_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from platocr import PlatocrError, Predictor

    checkpoint = tmp_path / "model.pt"
    checkpoint.write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(PlatocrError, match=r"torch is not installed: pip install 'platocr\[train\]'"):
        Predictor.load(checkpoint, device="cpu", backend="torch")
    with pytest.raises(PlatocrError, match=r"torch is not installed"):
        Predictor.load(checkpoint, device="cpu", backend="onnx")  # a .pt is exported with torch
    with pytest.raises(PlatocrError, match=r"torch is not installed"):
        Predictor.load(checkpoint, device="cpu")  # the default (auto) too: a .pt needs torch to be read
