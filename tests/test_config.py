"""Config: every shipped YAML loads; unknown keys and wrong types are named; --set; round trip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from platocr.errors import PlatocrError
from platocr.recognition.config import (
    Config,
    VotingConfig,
    apply_overrides,
    config_from_dict,
    config_to_dict,
    load_config,
    save_config,
)

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


def test_shipped_configs_exist() -> None:
    assert {"barcodes.yaml", "plates_ru.yaml", "quick.yaml"} <= {p.name for p in CONFIGS}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_config_loads(path: Path) -> None:
    cfg = load_config(path)
    assert isinstance(cfg, Config)
    assert cfg.input.width % 32 == 0 and cfg.data.vocab


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_key_names_dotted_key_and_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "train:\n  lrr: 0.1\n")
    with pytest.raises(PlatocrError, match=r"x\.yaml: unknown key 'train\.lrr' \(known: epochs, "):
        load_config(path)
    with pytest.raises(PlatocrError, match="unknown key 'optimizer'"):
        load_config(_write(tmp_path, "optimizer: {lr: 1}\n"))


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("model:\n  rnn_layers: two\n", r"'model\.rnn_layers' expects int, got str 'two'"),
        ("train:\n  amp: 1\n", r"'train\.amp' expects bool, got int"),
        ("input: 64\n", r"'input' must be a mapping"),
        ("augment:\n  scale_x: [0.9]\n", r"'augment\.scale_x' expects a list of float, float"),
        ("model:\n  rnn: tcn\n", r"'model\.rnn' must be one of gru, lstm"),
        ("model:\n  time_stride: 6\n", r"'model\.time_stride' must be a power of two"),
        ("input:\n  height: 0\n", r"'input\.height' must be > 0"),
        ("train:\n  max_steps: 0\n", r"'train\.max_steps' must be > 0 or null"),
        ("train:\n  learning_check: -1\n", r"'train\.learning_check' must be >= 0"),
        ("train:\n  init: 3\n", r"'train\.init' expects str"),
        ("train:\n  init: ' '\n", r"'train\.init' must be a checkpoint path"),
        ("train:\n  ema: 1\n", r"'train\.ema' must be 0 \(off\) or a decay"),
        ("input:\n  channels: 1\n", r"'input\.channels' must be 3"),
        ("decode: fancy\n", r"'decode' must be one of greedy, beam, checksum-ean, plate-ru, got 'fancy'"),
        ("voting:\n  crops: [[0.6, 0.1]]\n", r"'voting\.crops' must be \[fx, fy\] pairs in \[0, 0\.5\)"),
        ("voting:\n  crops: [0.1]\n", r"'voting\.crops\[0\]' expects a list of float, float"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, text: str, pattern: str) -> None:
    with pytest.raises(PlatocrError, match=pattern):
        load_config(_write(tmp_path, text))


def test_yaml_quirks_are_accepted(tmp_path: Path) -> None:
    cfg = load_config(
        _write(tmp_path, "train:\n  lr: 1e-3\n  max_minutes: 10\naugment:\n  scale_x: [1, 1.2]\n")
    )
    assert cfg.train.lr == 0.001 and cfg.train.max_minutes == 10.0 and cfg.augment.scale_x == (1.0, 1.2)
    assert load_config(None) == Config()


def test_train_budget_and_init_keys(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "train:\n  max_steps: 500\n  init: plates-ru\n"))
    assert cfg.train.max_steps == 500 and cfg.train.init == "plates-ru"
    assert Config().train.max_steps is None and Config().train.init is None
    assert Config().train.learning_check == 600


def test_set_overrides() -> None:
    cfg = load_config(
        None, ["train.lr=3e-4", "model.time_stride=8", "data.vocab=0123456789", "decode=greedy"]
    )
    assert cfg.train.lr == 3e-4 and cfg.model.time_stride == 8
    assert cfg.data.vocab == "0123456789"  # not the YAML int 123456789
    assert apply_overrides(cfg, ["model.time_stride=null"]).model.time_stride is None
    with pytest.raises(PlatocrError, match=r"unknown key 'train\.lrr'"):
        apply_overrides(cfg, ["train.lrr=1"])
    with pytest.raises(PlatocrError, match="expects int"):
        apply_overrides(cfg, ["train.epochs=many"])
    with pytest.raises(PlatocrError, match="KEY=VALUE"):
        apply_overrides(cfg, ["train.lr"])
    with pytest.raises(PlatocrError, match="is a section"):
        apply_overrides(cfg, ["train=1"])


def test_configs_are_frozen_and_read_old_voting_names() -> None:
    cfg = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.train.lr = 0.1  # type: ignore[misc]
    looks = config_from_dict({"looks": {"insets": [[0.1, 0.2]], "when": "empty"}})
    assert looks.voting == VotingConfig(crops=((0.1, 0.2),), when="empty")
    assert config_from_dict({"second_look": [0.1, 0.2]}) == looks
    assert load_config(None, ["looks.insets=[[0.1, 0.2]]", "looks.when=empty"]) == looks
    with pytest.raises(PlatocrError, match="give one of voting and looks"):
        config_from_dict({"voting": {}, "looks": {}})


def test_round_trip(tmp_path: Path) -> None:
    cfg = load_config(None, ["model.backbone=resnet18", "augment.scale_x=[0.8, 1.3]", "train.max_minutes=5"])
    as_dict = config_to_dict(cfg)
    assert as_dict["augment"]["scale_x"] == [0.8, 1.3]
    assert config_from_dict(yaml.safe_load(yaml.safe_dump(as_dict))) == cfg
    assert load_config(save_config(cfg, tmp_path / "saved.yaml")) == cfg
