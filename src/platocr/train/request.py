"""What a run was asked for, and what a run folder remembers of it (``RUN/run.json``).

``run.json`` is written when a run starts and holds its training sources, validation set, vocab,
``--init`` and device, so that ``platocr train --resume RUN`` alone continues the run; options given
again on resume must agree with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from platocr.data.labels import absolute_path
from platocr.errors import PlatocrError
from platocr.recognition.config import Config, apply_overrides, config_from_dict, load_config
from platocr.train.data import parse_source

RUN_FILE = "run.json"


@dataclass
class TrainRequest:
    """Everything ``platocr train`` was asked for (see the CLI for the meaning of each option).

    ``config`` None: a resumed run's ``config.yaml``, else the ``--init`` checkpoint's own config,
    else the defaults. ``train``/``val`` may be left out when resuming a run that has a ``run.json``.
    """

    config: Path | None
    out: Path
    train: Sequence[str] = ()
    val: str | None = None
    vocab: str | None = None
    overrides: Sequence[str] = ()
    resume: bool = False
    device: str | None = None  # None: the resumed run's device, else auto
    progress: bool = True
    init: str | None = None  # checkpoint path or bundled name whose weights start the run (fine-tuning)


@dataclass
class TrainResult:
    run_dir: Path
    last_epoch: int
    best_epoch: int
    best_value: float | None
    metric: str
    stop_reason: str  # "epochs" | "early stopping" | "time budget" | "step budget"
    history: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    train_rows: int = 0
    val_rows: int = 0
    steps: int = 0  # optimizer steps of the whole run (across --resume)
    warnings: list[str] = field(default_factory=list)  # e.g. the model still reads nothing


def source_key(spec: str) -> tuple[str, float]:
    """``LABELS[:WEIGHT]`` -> (absolute path, weight): how two specs are compared."""
    path, weight = parse_source(spec)
    return str(absolute_path(path.expanduser())), weight


def _val_key(val: str | None) -> str | None:
    return None if val is None else str(absolute_path(Path(val).expanduser()))


@dataclass(frozen=True)
class RunRecord:
    """``RUN/run.json``: what a run started with, in absolute paths (a resume may start elsewhere).

    ``train``: ``LABELS:WEIGHT`` specs; ``device``: the one asked for (``auto`` by default),
    ``device_used``: the one it ran on; ``config``: the YAML given, if any; ``created``: ISO time.
    A record from an older platocr may lack the later fields: they read as their defaults.
    """

    train: tuple[str, ...]
    val: str | None = None
    vocab: str = "auto"
    init: str | None = None
    device: str = "auto"
    device_used: str = ""
    config: str | None = None
    overrides: tuple[str, ...] = ()
    created: str = ""

    def as_dict(self) -> dict[str, object]:
        """The JSON object, keys in field order (json writes the tuples as lists)."""
        return asdict(self)


def read_run_record(out: Path) -> RunRecord | None:
    """``out/run.json``, or None for a run folder made before it existed."""
    path = out / RUN_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlatocrError(f"{path}: unreadable ({exc}); pass --train/--val again or fix the file") from None
    if not isinstance(record, dict) or not isinstance(record.get("train"), list):
        raise PlatocrError(f"{path}: not a platocr run record (no 'train' list)")
    known = {key: record[key] for key in RunRecord.__dataclass_fields__ if record.get(key) is not None}
    return RunRecord(
        **{**known, "train": tuple(record["train"]), "overrides": tuple(known.get("overrides", ()))}
    )


def write_run_record(request: TrainRequest, cfg: Config, device: str) -> Path:
    """Write ``RUN/run.json`` for a new run (absolute paths: a resume may start from another folder)."""
    record = RunRecord(
        train=tuple(f"{path}:{weight:g}" for path, weight in map(source_key, request.train)),
        val=_val_key(request.val),
        vocab=cfg.data.vocab,
        init=cfg.train.init,
        device=request.device or "auto",
        device_used=device,
        config=None if request.config is None else str(absolute_path(request.config)),
        overrides=tuple(request.overrides),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    path = request.out / RUN_FILE
    path.write_text(json.dumps(record.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def settle_request(request: TrainRequest) -> TrainRequest:
    """Fill a resumed run's sources, val, device and init from its ``run.json``; refuse what disagrees."""
    if not request.resume:
        return request
    out = request.out
    if not (out / "last.pt").is_file():
        raise PlatocrError(f"--resume: no {out / 'last.pt'} to continue from")
    record = read_run_record(out)
    if record is None:
        if not request.train:
            raise PlatocrError(
                f"--resume: {out} has no {RUN_FILE} (made by an older platocr): give --train (and --val) again"
            )
        return request
    where = out / RUN_FILE
    train = list(record.train)
    if request.train and sorted(map(source_key, request.train)) != sorted(map(source_key, train)):
        raise PlatocrError(
            f"--resume: --train {' '.join(request.train)} differs from the run's ({' '.join(train)}, "
            f"{where}); a resumed run goes on with its own data: leave --train out or start a new --out"
        )
    val = record.val
    if request.val is not None and _val_key(request.val) != val:
        raise PlatocrError(
            f"--resume: --val {request.val} differs from the run's ({val or 'none'}, {where}); "
            "leave --val out or start a new --out"
        )
    init = record.init
    if request.init is not None and request.init != init:
        raise PlatocrError(
            f"--resume: --init {request.init} differs from the run's start ({init or 'none'}, {where}); "
            "a resumed run goes on from its last.pt"
        )
    return dataclasses.replace(
        request, train=train, val=val, init=init, device=request.device or record.device
    )


def resolve_config(request: TrainRequest) -> Config:
    """The run's config: CONFIG, else a resumed run's ``config.yaml``, else the ``--init``
    checkpoint's own; then ``--set`` overrides, ``--init`` and ``--vocab`` on top."""
    if request.config is not None:
        cfg = load_config(request.config, request.overrides)
    elif request.resume and (request.out / "config.yaml").is_file():
        cfg = load_config(request.out / "config.yaml", request.overrides)
    elif request.init is not None:
        from platocr.recognition.checkpoint import read_checkpoint

        payload = read_checkpoint(request.init)
        cfg = config_from_dict(payload["config"], where=f"--init {request.init} (its config)")
        cfg = apply_overrides(cfg, request.overrides)
    else:
        cfg = load_config(None, request.overrides)
    train = cfg.train
    if request.init is not None:  # the command line wins over the config's train.init
        train = dataclasses.replace(train, init=request.init)
    data = cfg.data if not request.vocab else dataclasses.replace(cfg.data, vocab=request.vocab)
    return dataclasses.replace(cfg, train=train, data=data)
