"""What ``platocr probe --write-config`` writes: a config that learns on a CPU within minutes.

When a shipped model knows most of the labels' characters (:mod:`platocr.tools.probe_init`) the config
fine-tunes it: its input height and model section, so its weights fit, at the width the crops need.
Otherwise it trains from scratch the cheapest fitting backbone that leaves CTC's blank plateau on a CPU
(:attr:`platocr.tools.probe.ProbeReport.best`). Either way a step budget sized from the model's multiply-adds
ends the run in minutes on 2 cores, and the file starts with comments saying why.
"""

from __future__ import annotations

import dataclasses
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import yaml

from platocr.errors import PlatocrError
from platocr.recognition.config import Config, DataConfig, TrainConfig, config_from_dict, config_to_dict
from platocr.tools.probe import MIN_FRAMES_PER_CHAR, Candidate, ProbeReport, candidate_model, with_input
from platocr.tools.probe_init import MIN_SHARED

FINE_TUNE_MINUTES = 5.0
SCRATCH_MINUTES = 10.0  # configs/quick.yaml's budget, in which it reads 97% of synthetic plates
# Forward multiply-adds of training crops per second on 2 CPU cores: configs/quick.yaml (68 M per crop
# by count_macs) trains 140-152 crops/s there (README "Training on 2 CPU cores").
CPU_MACS_PER_SECOND = 1.0e10
BATCH_SIZE = 32
VALIDATIONS = 10  # validations per run, so the best weights are picked from several points


@dataclass(frozen=True)
class Optimisation:
    """Learning rate and schedule, and the recipe they come from."""

    lr: float
    schedule: str
    warmup_pct: float
    source: str


# The output layer carries over: a low rate keeps what the model knows (plates-ru's last stage).
KEEP_HEAD = Optimisation(5e-4, "cosine", 0.02, "as scripts/train_plates_ru.sh's last fine-tune")
# New characters have output rows to learn from nothing: a higher rate (barcodes-ean's fine-tunes).
NEW_HEAD = Optimisation(1e-3, "onecycle", 0.05, "as scripts/train_barcodes_ean.sh's fine-tunes")
SCRATCH = Optimisation(3e-3, "onecycle", 0.05, "as configs/quick.yaml")


@dataclass(frozen=True)
class TrainingPlan:
    """The config to write and why: ``reason`` (one line) first, then ``notes``."""

    config: Config
    reason: str
    notes: list[str]


def step_budget(macs: int, minutes: float, batch_size: int = BATCH_SIZE) -> int:
    """Optimizer steps that take about ``minutes`` on 2 idle CPU cores (a multiple of 50, >= 100)."""
    steps = minutes * 60 * CPU_MACS_PER_SECOND / max(macs, 1) / batch_size
    return max(100, 50 * round(steps / 50))


def plan_training(report: ProbeReport, base: Config) -> TrainingPlan:
    """Fine-tune ``report.init`` or train ``report.best`` from scratch; the rest of ``base`` is kept."""
    if not report.stats.alphabet:
        raise PlatocrError("the labels hold no text (every row is a negative): nothing to train a reader on")
    plan = _fine_tune(report, base) if report.init is not None else _from_scratch(report, base)
    config_from_dict(config_to_dict(plan.config), where="probe's config")  # the values must load back
    return plan


def write_probe_config(report: ProbeReport, base: Config, path: str | Path) -> tuple[Path, list[str]]:
    """Write the planned config with a comment header; returns (path, [reason, *notes])."""
    plan = plan_training(report, base)
    s = report.stats
    lines = [
        f"Written by `platocr probe {report.source}`: {s.rows} rows, alphabet {s.alphabet}.",
        plan.reason,
    ]
    lines += plan.notes
    header = "".join(
        f"# {part}\n"
        for line in lines
        for part in textwrap.wrap(line, 98, subsequent_indent="  ", break_on_hyphens=False)
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.safe_dump(config_to_dict(plan.config), sort_keys=False), encoding="utf-8")
    return path, [plan.reason, *plan.notes]


def _train(base: TrainConfig, opt: Optimisation, steps: int, init: str | None) -> TrainConfig:
    return dataclasses.replace(
        base,
        lr=opt.lr,
        schedule=opt.schedule,
        warmup_pct=opt.warmup_pct,
        batch_size=BATCH_SIZE,
        num_workers=1,  # 2 cores: one loads batches, the other trains
        init=init,
        max_steps=steps,
        max_minutes=None,  # the step budget ends the run: the same weights on a busy machine
        epochs=VALIDATIONS,
        steps_per_epoch=math.ceil(steps / VALIDATIONS),
        ema=0.0,  # an average over ~1,000 steps would lag a run this short
    )


def _size_note(report: ProbeReport, pick: Candidate) -> str:
    h, w = report.input_size
    return (
        f"input {h}x{w}: height {report.height_from}, width from the 95th-percentile crop aspect "
        f"{report.stats.aspect.percentiles[95]:.2f} (at least {MIN_FRAMES_PER_CHAR:g} frames per character): "
        f"T = {pick.seq_len} frames for at most {report.max_text_len} characters."
    )


def _budget_note(steps: int, minutes: float, macs: int, opt: Optimisation) -> str:
    return (
        f"train.max_steps {steps}: about {minutes:g} minutes on 2 idle CPU cores at {macs / 1e6:.0f} M "
        f"multiply-adds per crop, batch {BATCH_SIZE} (longer on a busy machine; --set train.max_minutes=M "
        f"caps the time). lr {opt.lr:g} {opt.schedule}, {opt.source}."
    )


def _fine_tune(report: ProbeReport, base: Config) -> TrainingPlan:
    init, pick = report.init, report.fine_tune
    assert init is not None and pick is not None  # run_probe measures the init model with it
    same = init.same_kind
    start = init.config if same else base  # the model's own augment, deskew and voting for its own kind
    opt = NEW_HEAD if init.unknown else KEEP_HEAD
    steps = step_budget(pick.macs, FINE_TUNE_MINUTES)
    config = dataclasses.replace(
        with_input(start, report.input_size, init.config.model),
        data=DataConfig(vocab=init.vocab_for_labels, max_text_len=report.max_text_len),
        train=_train(base.train, opt, steps, init.name),
        decode=init.config.decode if same else "greedy",
    )
    others = "; ".join(m.describe() for m in report.inits if m is not init)
    reason = (
        f"Fine-tune {init.name} (train.init): {init.describe()}"
        + (f"; new: {init.unknown}, which its output layer learns afresh" if init.unknown else "")
        + f". A shipped model is the start when it knows at least {MIN_SHARED:.0%} of the distinct label "
        "characters, the one knowing most winning (then the one with fewest unused characters)"
        + (f"; {others}." if others else ".")
    )
    notes = [
        f"input height and model section are {init.name}'s, so its weights fit.",
        _size_note(report, pick),
        f"data.vocab is {init.name}'s in its order"
        + (f", plus {init.unknown}" if init.unknown else "")
        + ", so its output layer carries over.",
    ]
    if same:
        notes.append(
            f"decode {init.config.decode}, input.deskew, augment and voting as {init.name}: "
            f"{init.format_share:.0%} of the labels are in its format."
        )
    elif init.format_share is not None:
        notes.append(
            f"decode greedy: only {init.format_share:.0%} of the labels are in {init.name}'s "
            f"{init.config.decode} format."
        )
    notes.append(_budget_note(steps, FINE_TUNE_MINUTES, pick.macs, opt))
    return TrainingPlan(config, reason, notes)


def _from_scratch(report: ProbeReport, base: Config) -> TrainingPlan:
    best = report.best
    h, w = report.input_size
    if best is None:
        raise PlatocrError(
            f"no candidate trains from scratch on a CPU at {h}x{w} (platocr_vgg_t/s/m, stage -1, "
            f"T / max_text_len >= {MIN_FRAMES_PER_CHAR:g}): add -b platocr_vgg_t or try another --height"
        )
    steps = step_budget(best.macs, SCRATCH_MINUTES)
    config = dataclasses.replace(
        with_input(
            base,
            report.input_size,
            candidate_model(base.model, best.backbone, best.feature_stage, best.time_stride),
        ),
        data=DataConfig(vocab=report.stats.alphabet, max_text_len=report.max_text_len),
        train=_train(base.train, SCRATCH, steps, None),
        decode="greedy",
    )
    total = len(report.stats.alphabet)
    if not report.inits:
        why = "no shipped model is bundled"
    elif report.inits[0].usable:
        why = f"as asked ({report.inits[0].describe()})"
    else:
        why = (
            f"no shipped model knows at least {MIN_SHARED:.0%} of the {total} label characters "
            f"({'; '.join(m.describe() for m in report.inits)})"
        )
    reason = f"From scratch: {why}."
    notes = [
        f"{best.backbone} stage {best.feature_stage} time_stride {best.time_stride} with model.rnn_skip: "
        f"the fewest multiply-adds ({best.macs / 1e6:.0f} M per crop) among the candidates that fit and "
        "leave CTC's blank plateau on a CPU (platocr_vgg_t/s/m whole, with the skip path).",
        _size_note(report, best),
        _budget_note(steps, SCRATCH_MINUTES, best.macs, SCRATCH),
    ]
    return TrainingPlan(config, reason, notes)
