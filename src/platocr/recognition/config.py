"""Typed run configuration: YAML -> frozen dataclasses, with strict key/type checks and ``--set`` overrides.

Every stage (probe, train, eval, predictor, video) reads the same :class:`Config`. Unknown keys, wrong types
and values no stage can use (``Literal`` choices and :func:`_must` rules, on the fields) are refused with a
:class:`PlatocrError` naming the dotted key and the file. Derive changed configs with ``dataclasses.replace``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from platocr.errors import PlatocrError


def _must(default: Any, ok: Callable[[Any], Any], rule: str) -> Any:
    """A field whose loaded values (but null) must pass ``ok``; others are refused as "'key' must <rule>"."""
    return field(default=default, metadata={"ok": ok, "rule": rule})


def _positive(default: int) -> Any:
    return _must(default, lambda v: v > 0, "be > 0")


# The CTC decoders, = platocr.recognition.decoding.list_decoders() (extend both when one lands).
Decoder = Literal["greedy", "beam", "checksum-ean", "plate-ru"]


@dataclass(frozen=True)
class InputConfig:
    """Model input size in pixels; crops are resized keeping aspect and padded to H x W."""

    height: int = _positive(64)
    width: int = _positive(256)
    channels: int = _must(3, lambda v: v == 3, "be 3 (grey crops are repeated to RGB)")
    # Straighten tilted barcodes first: rotate the crop so its bars stand vertical (preprocess.deskew_bars).
    # For crops cut from axis-aligned boxes (``platocr crop``), where a tilted label's digits run diagonally.
    deskew: bool = False


@dataclass(frozen=True)
class ModelConfig:
    """Architecture: ``name`` is the registry key (see ``platocr.model.list_models``)."""

    name: str = "crnn"
    backbone: str = "mobilenetv3_small_100"  # any timm model supporting features_only
    pretrained: bool = False  # True needs the weights in the local timm/HF cache: nothing is downloaded here
    feature_stage: int = -1  # index into backbone.feature_info; -1 = last
    # Horizontal reduction of the feature map (power of two, <= the stage's own, e.g. 8 -> T = W / 8):
    # the last stride-2 convs get stride (2, 1). null = the backbone's own (16 or 32).
    time_stride: int | None = _must(None, lambda v: v > 0 and not v & (v - 1), "be a power of two or null")
    gate_channels: int = _positive(256)  # 1x1 "gate" conv after the backbone
    collapse: Literal["conv", "mean"] = "conv"  # how the feature map's height becomes one frame
    rnn: Literal["gru", "lstm"] = "gru"
    rnn_layers: int = _positive(2)
    rnn_hidden: int = _positive(128)
    rnn_dropout: float = 0.1
    # Add a linear projection of the CNN frames to the RNN output: the CNN gets a direct gradient
    # path, so CTC training from scratch leaves the all-blank plateau several times sooner.
    rnn_skip: bool = False


@dataclass(frozen=True)
class DataConfig:
    """Alphabet and text length; ``vocab: auto`` lets train derive it from the training labels."""

    vocab: str = "0123456789"
    max_text_len: int = _positive(13)


@dataclass(frozen=True)
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
    # Gaussian blur sigma range at model resolution; motion blur lengths follow it.
    blur_sigma: tuple[float, float] = _must((0.3, 1.2), lambda v: 0 < v[0] <= v[1], "be 0 < low <= high")
    # A passing car: a horizontal motion blur whose streak is a share of the model input's width (0.09 at
    # width 160 is 14 px, about one character), longer than ``blur``'s, which stays within a stroke.
    passing_car_blur: float = 0.0
    passing_car_blur_length: tuple[float, float] = _must(
        (0.03, 0.09), lambda v: 0 < v[0] <= v[1] < 0.5, "be 0 < low <= high < 0.5"
    )
    noise: float = 0.2
    downscale: float = 0.2
    # Down-then-up scale range at model resolution: 0.3 at width 160 looks like a plate 48 px wide,
    # as a distant car's plate is in a full frame.
    downscale_range: tuple[float, float] = _must(
        (0.4, 0.8), lambda v: 0 < v[0] <= v[1] < 1, "be 0 < low <= high < 1"
    )
    coarse_dropout: float = 0.1
    jpeg: float = 0.2
    grayscale: float = 0.1


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and loop settings."""

    epochs: int = _positive(30)
    batch_size: int = _positive(64)
    lr: float = 1e-3
    weight_decay: float = 1e-4
    schedule: Literal["onecycle", "cosine"] = "onecycle"
    warmup_pct: float = 0.1
    grad_clip: float = 5.0
    early_stopping: int = 8  # patience in epochs, 0 = off
    metric: Literal["string_match", "cer", "edit_distance", "loss"] = "string_match"
    amp: bool = True  # CUDA only
    channels_last: bool = True  # CUDA only
    num_workers: int = 2
    seed: int = 0
    max_minutes: float | None = None  # wall-clock budget: whole epochs that fit, cut mid-epoch when spent
    # Budget in optimizer steps for the whole run (across --resume), cut mid-epoch; the LR schedule
    # ends at it. Unlike max_minutes it gives the same weights on a busy machine. With both, first wins.
    max_steps: int | None = _must(None, lambda v: v > 0, "be > 0 or null")
    init: str | None = _must(None, str.strip, "be a checkpoint path, a bundled name or null")
    # Warn when validation still reads almost nothing after this many steps (and at the end); 0 = off.
    learning_check: int = _must(600, lambda v: v >= 0, "be >= 0 (0 = off)")
    steps_per_epoch: int | None = None  # None = one pass over the (weighted) training set
    # A moving average of the weights (validated and saved) with this decay.
    ema: float = _must(0.0, lambda v: 0.0 <= v < 1.0, "be 0 (off) or a decay in (0, 1)")


@dataclass(frozen=True)
class VotingConfig:
    """Multi-crop voting: read each crop from extra crops too and let the reads vote
    (``platocr.recognition.voting``). Configs and models saved before it say ``looks: {insets, when}``
    (or ``second_look``): :func:`config_from_dict` reads them as ``voting``."""

    # [fx, fy] inset per extra crop; none = no voting.
    crops: tuple[tuple[float, float], ...] = _must(
        (), lambda v: all(0.0 <= f < 0.5 for crop in v for f in crop), "be [fx, fy] pairs in [0, 0.5)"
    )
    when: Literal["always", "empty"] = "always"  # empty: only crops whose first read is empty


@dataclass(frozen=True)
class Config:
    """The whole run configuration (one YAML file)."""

    input: InputConfig = field(default_factory=InputConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    decode: Decoder = "greedy"  # CTC decoder (platocr.recognition.decoding)
    voting: VotingConfig = field(default_factory=VotingConfig)
    # Reads less confident than this become no read (empty text, confidence kept): for a user a
    # confident wrong code is worse than none. The predictor applies it, so read and video do too.
    min_confidence: float = _must(0.0, lambda v: 0.0 <= v <= 1.0, "be in [0, 1]")


def load_config(path: str | Path | None, overrides: Sequence[str] = ()) -> Config:
    """Read a YAML config (``None`` = defaults) and apply ``a.b=value`` overrides."""
    if path is None:
        return apply_overrides(Config(), overrides)
    path = Path(path)
    if not path.is_file():
        raise PlatocrError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlatocrError(f"{path}: invalid YAML: {exc}") from None
    return apply_overrides(config_from_dict(data or {}, where=str(path)), overrides)


# The older names of ``voting``'s keys, still read from saved configs and taken by ``--set``.
VOTING_ALIASES = {"looks.insets": "voting.crops", "looks.when": "voting.when"}


def config_from_dict(d: dict, where: str = "config") -> Config:
    """Build a Config from nested dicts; missing keys keep their defaults."""
    return _build(Config, _renamed_voting(d, where), where, prefix="")


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
        if (inset := d.pop("second_look")) is not None:
            d["voting"] = {"crops": [inset], "when": "empty"}
        return d
    looks = d.pop("looks")
    d["voting"] = (
        {("crops" if k == "insets" else k): v for k, v in looks.items()} if isinstance(looks, dict) else looks
    )
    return d


def config_to_dict(cfg: Config) -> dict:
    """Nested plain dict (tuples as lists) that ``config_from_dict`` turns back into ``cfg``."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return [plain(v) for v in value] if isinstance(value, list | tuple) else value

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
        key, sep, raw = (part.strip() for part in item.partition("="))
        key = VOTING_ALIASES.get(key, key)
        if not sep or not key:
            raise PlatocrError(f"{where}: expected KEY=VALUE (e.g. train.lr=0.001), got {item!r}")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise PlatocrError(f"{where} {item!r}: cannot parse the value: {exc}") from None
        node, parts = data, key.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                known = ", ".join(node) if isinstance(node, dict) else "none: not a section"
                raise PlatocrError(f"{where}: unknown key '{'.'.join(parts[: depth + 1])}' (known: {known})")
            if depth < len(parts) - 1:
                node = node[part]
        if isinstance(node[part], dict):
            raise PlatocrError(f"{where}: '{key}' is a section; set one of its keys ({key}.KEY=VALUE)")
        # A str field set to e.g. 0123456789 must stay text, not become a YAML int.
        node[part] = raw if isinstance(node[part], str) and not isinstance(value, str | None) else value
    return config_from_dict(data, where=where)


def _build(cls: type, data: Any, where: str, prefix: str) -> Any:
    """Instantiate dataclass ``cls`` from ``data``, checking keys, types and field rules recursively."""
    if not isinstance(data, dict):
        name = prefix.rstrip(".") or "<top>"
        raise PlatocrError(f"{where}: '{name}' must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in fields:
            raise PlatocrError(f"{where}: unknown key '{dotted}' (known: {', '.join(fields)})")
        if dataclasses.is_dataclass(hints[key]):
            kwargs[key] = _build(hints[key], value, where, prefix=f"{dotted}.")
            continue
        kwargs[key] = _check_value(value, hints[key], where, dotted)
        if (ok := fields[key].metadata.get("ok")) and kwargs[key] is not None and not ok(kwargs[key]):
            raise PlatocrError(f"{where}: '{dotted}' must {fields[key].metadata['rule']}, got {value!r}")
    return cls(**kwargs)


def _check_value(value: Any, hint: Any, where: str, dotted: str) -> Any:
    """Return ``value`` coerced to ``hint`` (int -> float, list -> tuple) or raise naming key/expected/got."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # X | None
        return None if value is None else _check_value(value, args[0], where, dotted)
    if origin is Literal:
        if isinstance(value, str) and value in args:
            return value
        raise PlatocrError(f"{where}: '{dotted}' must be one of {', '.join(args)}, got {value!r}")
    if origin is tuple:  # tuple[X, Y] = a list of exactly those; tuple[X, ...] = a list of any length
        items = args[:1] * len(value) if args[-1] is Ellipsis and isinstance(value, list | tuple) else args
        if isinstance(value, list | tuple) and len(items) == len(value):
            return tuple(
                _check_value(v, a, where, f"{dotted}[{i}]")
                for i, (v, a) in enumerate(zip(value, items, strict=True))
            )
    elif hint is float:
        # YAML reads "1" as int and "1e-3" as str; accept both where a float is meant.
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            with contextlib.suppress(ValueError):
                return float(value)
    elif isinstance(value, hint) and (hint is bool or not isinstance(value, bool)):
        return value
    got = f"{type(value).__name__} {value!r}"
    raise PlatocrError(f"{where}: '{dotted}' expects {_type_name(hint)}, got {got}")


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is not tuple:
        return hint.__name__
    if (args := typing.get_args(hint))[-1] is Ellipsis:
        return f"a list (each {_type_name(args[0])})"
    return f"a list of {', '.join(map(_type_name, args))}"
