"""Typed run configuration: YAML -> dataclasses, with strict key/type checks and ``--set`` overrides.

Every stage (probe, train, eval, predictor, video) reads the same :class:`Config`. Unknown keys and
wrong types are refused with a :class:`PlatocrError` naming the dotted key and the file, so a typo
like ``train.lrr`` never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from platocr.errors import PlatocrError


@dataclass
class InputConfig:
    """Model input size in pixels; crops are resized keeping aspect and padded to H x W."""

    height: int = 64
    width: int = 256
    channels: int = 3  # always RGB; grey inputs are repeated to 3 channels by preprocess
    # Straighten tilted barcodes first: rotate the crop so its bars stand vertical (preprocess.deskew_bars).
    # For crops cut from axis-aligned boxes (``platocr crop``), where a tilted label's digits run diagonally.
    deskew: bool = False


@dataclass
class ModelConfig:
    """Architecture: ``name`` is the registry key (see ``platocr.model.list_models``)."""

    name: str = "crnn"
    backbone: str = "mobilenetv3_small_100"  # any timm model supporting features_only
    pretrained: bool = False  # True needs the weights in the local timm/HF cache: nothing is downloaded here
    feature_stage: int = -1  # index into backbone.feature_info; -1 = last
    # Horizontal reduction of the feature map (power of two, <= the stage's own, e.g. 8 -> T = W / 8):
    # the last stride-2 convs get stride (2, 1). null = the backbone's own (16 or 32).
    time_stride: int | None = None
    gate_channels: int = 256  # 1x1 "gate" conv after the backbone
    collapse: str = "conv"  # conv | mean: how the feature map's height becomes one frame
    rnn: str = "gru"  # gru | lstm
    rnn_layers: int = 2
    rnn_hidden: int = 128
    rnn_dropout: float = 0.1
    # Add a linear projection of the CNN frames to the RNN output: the CNN gets a direct gradient
    # path, so CTC training from scratch leaves the all-blank plateau several times sooner.
    rnn_skip: bool = False


@dataclass
class DataConfig:
    """Alphabet and text length; ``vocab: auto`` lets train derive it from the training labels."""

    vocab: str = "0123456789"
    max_text_len: int = 13


@dataclass
class AugmentConfig:
    """Training augmentation: probabilities unless said otherwise (train builds the pipeline)."""

    enabled: bool = True
    pad_jitter: float = 0.1  # max extra margin as a fraction of the crop size (loose crops)
    perspective: float = 0.3
    perspective_scale: float = 0.05
    scale_x: tuple[float, float] = (0.85, 1.15)  # horizontal stretch range
    rotate_limit: float = 3.0  # degrees
    brightness_contrast: float = 0.5
    clahe: float = 0.1
    blur: float = 0.2
    noise: float = 0.2
    downscale: float = 0.2
    coarse_dropout: float = 0.1
    jpeg: float = 0.2
    grayscale: float = 0.1


@dataclass
class TrainConfig:
    """Optimisation and loop settings."""

    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    schedule: str = "onecycle"  # onecycle | cosine
    warmup_pct: float = 0.1
    grad_clip: float = 5.0
    early_stopping: int = 8  # patience in epochs, 0 = off
    metric: str = "string_match"  # string_match | cer | edit_distance | loss
    amp: bool = True  # CUDA only
    channels_last: bool = True  # CUDA only
    num_workers: int = 2
    seed: int = 0
    max_minutes: float | None = None  # wall-clock budget: whole epochs that fit, cut mid-epoch when spent
    # Budget in optimizer steps for the whole run (across --resume), cut mid-epoch; the LR schedule
    # ends at it. Unlike max_minutes it gives the same weights on a busy machine. With both, first wins.
    max_steps: int | None = None
    init: str | None = None  # start from these weights: a checkpoint path or a bundled model name
    # Warn when validation still reads almost nothing after this many steps (and at the end); 0 = off.
    learning_check: int = 600
    steps_per_epoch: int | None = None  # None = one pass over the (weighted) training set
    ema: float = 0.0  # decay of a moving average of the weights that is validated and saved; 0 = off


@dataclass
class VotingConfig:
    """Multi-crop voting: read each crop from extra crops too and let the reads vote
    (``platocr.recognition.voting``). Configs and models saved before it say ``looks: {insets, when}``
    (or ``second_look``): :func:`config_from_dict` reads them as ``voting``."""

    crops: tuple[tuple[float, float], ...] = ()  # [fx, fy] inset per extra crop; none = no voting
    when: str = "always"  # always: every crop; empty: only crops whose first read is empty


@dataclass
class Config:
    """The whole run configuration (one YAML file)."""

    input: InputConfig = field(default_factory=InputConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    decode: str = (
        "greedy"  # CTC decoder: greedy | beam | checksum-ean | plate-ru (platocr.recognition.decoding)
    )
    voting: VotingConfig = field(default_factory=VotingConfig)


def load_config(path: str | Path | None, overrides: Sequence[str] = ()) -> Config:
    """Read a YAML config (``None`` = defaults) and apply ``a.b=value`` overrides."""
    if path is None:
        cfg = Config()
    else:
        path = Path(path)
        if not path.is_file():
            raise PlatocrError(f"config file not found: {path}")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PlatocrError(f"{path}: invalid YAML: {exc}") from None
        cfg = config_from_dict(data or {}, where=str(path))
    return apply_overrides(cfg, overrides)


# Fields with a fixed set of values (extend here when a new option lands, e.g. decoders in issue #5).
CHOICES: dict[str, tuple[str, ...]] = {
    "model.rnn": ("gru", "lstm"),
    "model.collapse": ("conv", "mean"),
    "train.schedule": ("onecycle", "cosine"),
    "train.metric": ("string_match", "cer", "edit_distance", "loss"),
    "decode": (
        "greedy",
        "beam",
        "checksum-ean",
        "plate-ru",
    ),  # = platocr.recognition.decoding.list_decoders()
    "voting.when": ("always", "empty"),
}
POSITIVE = (
    "input.height",
    "input.width",
    "model.gate_channels",
    "model.rnn_layers",
    "model.rnn_hidden",
    "data.max_text_len",
    "train.epochs",
    "train.batch_size",
)


# The older names of ``voting``'s keys, still read from saved configs and taken by ``--set``.
VOTING_ALIASES = {"looks.insets": "voting.crops", "looks.when": "voting.when"}
_OLD_VOTING_KEYS = {"insets": "crops"}  # inside an old ``looks:`` section


def config_from_dict(d: dict, where: str = "config") -> Config:
    """Build a Config from nested dicts; missing keys keep their defaults."""
    cfg = _build(Config, _renamed_voting(d, where), where, prefix="")
    _check_values(cfg, where)
    return cfg


def _renamed_voting(d: Any, where: str) -> Any:
    """``d`` with the older names of ``voting`` read as ``voting`` (the shipped models' checkpoints and
    ONNX metadata keep theirs): ``looks: {insets, when}`` and, before it, ``second_look: [fx, fy] | null``
    (one extra crop, empty reads only)."""
    if not isinstance(d, dict) or not ({"looks", "second_look"} & d.keys()):
        return d
    given = [key for key in ("voting", "looks", "second_look") if key in d]
    if len(given) > 1:
        raise PlatocrError(f"{where}: give one of {' and '.join(given)} (the same section, older names)")
    d = dict(d)
    if "second_look" in d:
        inset = d.pop("second_look")
        if inset is not None:
            d["voting"] = {"crops": [inset], "when": "empty"}
        return d
    looks = d.pop("looks")
    d["voting"] = (
        {_OLD_VOTING_KEYS.get(k, k): v for k, v in looks.items()} if isinstance(looks, dict) else looks
    )
    return d


def _get(cfg: Config, dotted: str) -> Any:
    value: Any = cfg
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _check_values(cfg: Config, where: str) -> None:
    """Refuse values of the right type that no stage can use (naming key, allowed values, got)."""
    for dotted, allowed in CHOICES.items():
        if _get(cfg, dotted) not in allowed:
            raise PlatocrError(
                f"{where}: '{dotted}' must be one of {', '.join(allowed)}, got {_get(cfg, dotted)!r}"
            )
    for dotted in POSITIVE:
        if _get(cfg, dotted) <= 0:
            raise PlatocrError(f"{where}: '{dotted}' must be > 0, got {_get(cfg, dotted)}")
    if cfg.input.channels != 3:
        raise PlatocrError(
            f"{where}: 'input.channels' must be 3 (grey crops are repeated to RGB), got {cfg.input.channels}"
        )
    for crop in cfg.voting.crops:
        if not all(0.0 <= f < 0.5 for f in crop):
            raise PlatocrError(f"{where}: 'voting.crops' must be [fx, fy] in [0, 0.5), got {list(crop)}")
    if not 0.0 <= cfg.train.ema < 1.0:
        raise PlatocrError(f"{where}: 'train.ema' must be 0 (off) or a decay in (0, 1), got {cfg.train.ema}")
    if cfg.train.max_steps is not None and cfg.train.max_steps <= 0:
        raise PlatocrError(f"{where}: 'train.max_steps' must be > 0 or null, got {cfg.train.max_steps}")
    if cfg.train.learning_check < 0:
        raise PlatocrError(
            f"{where}: 'train.learning_check' must be >= 0 (0 = off), got {cfg.train.learning_check}"
        )
    if cfg.train.init is not None and not cfg.train.init.strip():
        raise PlatocrError(f"{where}: 'train.init' must be a checkpoint path, a bundled name or null")
    stride = cfg.model.time_stride
    if stride is not None and (stride < 1 or stride & (stride - 1)):
        raise PlatocrError(f"{where}: 'model.time_stride' must be a power of two or null, got {stride}")


def config_to_dict(cfg: Config) -> dict:
    """Nested plain dict (tuples as lists) that ``config_from_dict`` turns back into ``cfg``."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return plain(dataclasses.asdict(cfg))


def save_config(cfg: Config, path: str | Path) -> Path:
    """Write ``cfg`` as YAML (sections in declaration order)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config_to_dict(cfg), sort_keys=False), encoding="utf-8")
    return path


def apply_overrides(cfg: Config, overrides: Sequence[str], where: str = "--set") -> Config:
    """Return a new Config with each ``a.b=value`` applied (value parsed with ``yaml.safe_load``)."""
    data = config_to_dict(cfg)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = VOTING_ALIASES.get(key.strip(), key.strip())
        if not sep or not key:
            raise PlatocrError(f"{where}: expected KEY=VALUE (e.g. train.lr=0.001), got {item!r}")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise PlatocrError(f"{where} {item!r}: cannot parse the value: {exc}") from None
        node = data
        parts = key.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                raise PlatocrError(_unknown(where, ".".join(parts[: depth + 1]), node))
            if depth == len(parts) - 1:
                if isinstance(node[part], dict):
                    raise PlatocrError(
                        f"{where}: '{key}' is a section; set one of its keys ({key}.KEY=VALUE)"
                    )
                # A str field set to e.g. 0123456789 must stay text, not become a YAML int.
                node[part] = (
                    raw.strip() if isinstance(node[part], str) and not isinstance(value, str) else value
                )
            else:
                node = node[part]
    return config_from_dict(data, where=where)


def _unknown(where: str, dotted: str, node: Any) -> str:
    known = ", ".join(node) if isinstance(node, dict) else "none: not a section"
    return f"{where}: unknown key '{dotted}' (known: {known})"


def _build(cls: type, data: Any, where: str, prefix: str) -> Any:
    """Instantiate dataclass ``cls`` from ``data``, checking keys and value types recursively."""
    if not isinstance(data, dict):
        raise PlatocrError(
            f"{where}: '{prefix.rstrip('.') or '<top>'}' must be a mapping, got {type(data).__name__}"
        )
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in names:
            raise PlatocrError(f"{where}: unknown key '{dotted}' (known: {', '.join(names)})")
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            kwargs[key] = _build(hint, value, where, prefix=f"{dotted}.")
        else:
            kwargs[key] = _check_value(value, hint, where, dotted)
    return cls(**kwargs)


def _check_value(value: Any, hint: Any, where: str, dotted: str) -> Any:
    """Return ``value`` coerced to ``hint`` (int -> float, list -> tuple) or raise naming key/expected/got."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _check_value(value, inner[0], where, dotted)
    if (item := _any_length_item(hint)) is not None:
        if isinstance(value, list | tuple):
            return tuple(_check_value(v, item, where, f"{dotted}[{i}]") for i, v in enumerate(value))
    elif origin is tuple:
        if isinstance(value, list | tuple) and len(value) == len(args):
            return tuple(
                _check_value(v, a, where, f"{dotted}[{i}]")
                for i, (v, a) in enumerate(zip(value, args, strict=True))
            )
    elif hint is float:
        # YAML reads "1" as int and "1e-3" as str; accept both where a float is meant.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is bool or hint is str:
        if isinstance(value, hint):
            return value
    else:  # pragma: no cover - a field type this checker does not know yet
        raise TypeError(f"config field {dotted}: unsupported type {hint}")
    raise PlatocrError(
        f"{where}: '{dotted}' expects {_type_name(hint)}, got {type(value).__name__} {value!r}"
    )


def _any_length_item(hint: Any) -> Any | None:
    """``X`` for ``tuple[X, ...]`` (a list of any length), else None."""
    args = typing.get_args(hint)
    return args[0] if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis else None


def _type_name(hint: Any) -> str:
    if (item := _any_length_item(hint)) is not None:
        return f"a list (each {_type_name(item)})"
    if typing.get_origin(hint) is tuple:
        return "a list of " + ", ".join(_type_name(a) for a in typing.get_args(hint))
    return getattr(hint, "__name__", str(hint))
