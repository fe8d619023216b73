"""Every .pt is loaded weights-only: a crafted file runs no code, bad files fail in one line, and what
platocr itself writes (slim models, best.pt, last.pt with its resume state) still loads and resumes."""

from __future__ import annotations

import io
import os
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from conftest import QUICK_CONFIG, TINY_RUN, run_tiny_training
from typer.testing import CliRunner

from platocr import PlatocrError
from platocr.cli import app
from platocr.recognition.checkpoint import FORMAT, RefusedCheckpoint, _save_atomically, read_checkpoint
from platocr.recognition.config import config_to_dict, load_config
from platocr.recognition.zoo import bundled_models
from platocr.train.resume import resume_payload
from platocr.train.rng import restore_rng_state, rng_state

REFUSAL = (
    "refused to load: it holds Python objects a checkpoint never needs (a crafted or foreign file?); "
    "platocr loads .pt files with torch.load(weights_only=True)"
)


class _RunsCode:
    """Unpickling this runs a shell command: what a crafted checkpoint would do."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (self.command,)


def _crafted(tmp_path: Path) -> tuple[Path, Path]:
    """(a .pt that creates ``marker`` when unpickled, marker), the file otherwise looking like platocr's."""
    marker = tmp_path / "marker"
    path = tmp_path / "model.pt"
    torch.save(
        {"format": FORMAT, "config": {}, "vocab": "0", "model": {}, "x": _RunsCode(f"touch '{marker}'")}, path
    )
    return path, marker


def _error_lines(output: str) -> list[str]:
    assert "Traceback" not in output and "Warning" not in output, output
    return [line for line in output.splitlines() if line.startswith("error")]


def test_the_crafted_file_does_run_code_when_loaded_unsafely(tmp_path: Path) -> None:
    path, marker = _crafted(tmp_path)  # so that the tests below prove something
    torch.load(path, map_location="cpu", weights_only=False)
    assert marker.exists()


@pytest.mark.parametrize("command", ["eval", "read", "export", "train-init", "train-config-init"])
def test_a_crafted_checkpoint_is_refused_everywhere_without_running_it(
    command: str, tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    path, marker = _crafted(tmp_path)
    train, val = tiny_dataset
    args = {
        "eval": ["eval", str(path), str(val)],
        "read": ["read", str(path), str(val.parent / "crops" / "0000.png")],
        "export": ["export", str(path), "--out", str(tmp_path / "out.onnx")],
        "train-init": ["train", "--init", str(path)],
        "train-config-init": ["train", str(QUICK_CONFIG), "--init", str(path)],
    }[command]
    if command.startswith("train"):
        args += ["--out", str(tmp_path / "run"), "--train", str(train), "--no-progress", *TINY_RUN]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert _error_lines(result.output) == [f"error: {path}: {REFUSAL}"]
    assert not marker.exists()


def _not_torch_files(folder: Path) -> dict[str, Path]:
    files = {name: folder / f"{name}.pt" for name in ("text", "empty", "truncated", "other-zip")}
    files["text"].write_text("hello\n")
    files["empty"].write_bytes(b"")
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "model": {"w": torch.zeros(100)}}, buffer)
    files["truncated"].write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with zipfile.ZipFile(files["other-zip"], "w") as archive:
        archive.writestr("notes.txt", "not a checkpoint")
    return files


def test_a_file_torch_did_not_write_fails_in_one_line(tmp_path: Path) -> None:
    expected = {
        "text": "not a file torch.save writes",
        "empty": "the file is empty",
        "truncated": "a damaged zip archive",
        "other-zip": "a zip archive that torch.save did not write",
    }
    for name, path in _not_torch_files(tmp_path).items():
        with pytest.raises(
            PlatocrError, match=f"^{path}: not a readable checkpoint: {expected[name]}"
        ) as info:
            read_checkpoint(path)
        assert "\n" not in str(info.value)
    result = CliRunner().invoke(app, ["export", str(tmp_path / "text.pt"), "--out", str(tmp_path / "x.pt")])
    assert result.exit_code == 2 and len(_error_lines(result.output)) == 1


def _old_last_pt(out: Path) -> Path:
    """A last.pt as platocr wrote it before weights-only loading: numpy's RNG state as a tuple."""
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "config": config_to_dict(load_config(None)),
        "vocab": "0123",
        "model": {"w": torch.zeros(2)},
        "epoch": 1,
        "metrics": {"cer": np.float64(0.5)},
        "optimizer": {},
        "scheduler": {},
        "extra": {"rng": {"python": random.getstate(), "numpy": np.random.get_state()}},
    }
    torch.save(payload, out / "last.pt")
    return out / "last.pt"


def test_an_older_runs_last_pt_is_refused_with_what_to_do(tmp_path: Path) -> None:
    last = _old_last_pt(tmp_path / "run")
    with pytest.raises(RefusedCheckpoint, match="like the last.pt of a run from an older platocr") as info:
        read_checkpoint(last)
    assert info.value.from_older_platocr
    with pytest.raises(PlatocrError, match=r"comes from an older platocr.*--init .*best\.pt$") as info:
        resume_payload(tmp_path / "run", True, load_config(None))
    assert "\n" not in str(info.value)


def test_what_platocr_saves_must_load_weights_only(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"checkpoint\.extra\.rng is a numpy\.ndarray"):
        _save_atomically({"extra": {"rng": np.zeros(3)}}, tmp_path / "x.pt")
    with pytest.raises(TypeError, match=r"checkpoint\.metrics\.cer is a numpy\.float64"):
        _save_atomically({"metrics": {"cer": np.float64(0.5)}}, tmp_path / "x.pt")
    assert not list(tmp_path.iterdir())  # nothing half-written


def _draws() -> tuple[float, float, float, float, float]:
    return random.random(), random.gauss(0, 1), *np.random.rand(2), float(torch.rand(1))


def test_rng_state_round_trips_through_a_weights_only_file() -> None:
    random.gauss(0, 1)  # leaves a cached gaussian in both generators: the odd parts of their state
    np.random.standard_normal()
    buffer = io.BytesIO()
    torch.save(rng_state(), buffer)
    expected = _draws()
    _draws()
    buffer.seek(0)
    restore_rng_state(torch.load(buffer, map_location="cpu", weights_only=True))
    assert _draws() == expected
    with pytest.raises(PlatocrError, match="random-generator state"):
        restore_rng_state({"numpy": (1, 2)})


def test_a_run_saves_weights_only_files_and_resume_restores_its_rng(
    tiny_dataset: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from platocr.train import loop

    train, val = tiny_dataset
    out = tmp_path / "run"
    first = run_tiny_training(out, [str(train)], val, "--set", "train.ema=0.9")
    assert first.exit_code == 0, first.output
    for name in ("last.pt", "best.pt"):
        assert torch.serialization.get_unsafe_globals_in_checkpoint(out / name) == []
    last = torch.load(out / "last.pt", map_location="cpu", weights_only=True)
    assert {"optimizer", "scheduler"} <= set(last) and {"rng", "ema", "run_state", "scaler"} <= set(
        last["extra"]
    )
    assert all(type(value) in (int, float) for value in last["metrics"].values())

    restored: list[tuple] = []

    def restore(state: dict | None) -> None:
        restore_rng_state(state)
        restored.append((random.getstate(), np.random.get_state(), torch.get_rng_state()))

    monkeypatch.setattr(loop, "restore_rng_state", restore)
    resumed = run_tiny_training(
        out, [str(train)], val, "--set", "train.ema=0.9", "--resume", str(out), "--set", "train.epochs=2"
    )
    assert resumed.exit_code == 0, resumed.output
    assert read_checkpoint(out / "last.pt")["epoch"] == 2
    saved = last["extra"]["rng"]
    ((python, numpy, torch_state),) = restored
    assert python[1] == tuple(saved["python"]["state"].tolist())
    assert np.array_equal(numpy[1], saved["numpy"]["keys"].numpy()) and numpy[2] == saved["numpy"]["pos"]
    assert torch.equal(torch_state, saved["torch"])


def test_the_shipped_models_load_weights_only() -> None:
    shipped = bundled_models()
    assert shipped
    for name, path in shipped.items():
        payload = torch.load(path, map_location="cpu", weights_only=True)
        assert payload["format"] == FORMAT and isinstance(payload["config"], dict), name
        assert read_checkpoint(name)["vocab"] == payload["vocab"]
