"""The model half of ``platocr demo``: probe, train, evaluate, gallery, read, video.

Each step calls the library function its subcommand calls (``probe --write-config``, ``train``,
``eval``, ``gallery``, ``read``, ``video --roi``), so the tour exercises the real code paths. Training
follows the probe's config: fine-tune the shipped model that knows the labels' characters, for a step
budget, so a busy machine takes longer but ends with the same model.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from platocr.errors import PlatocrError

if TYPE_CHECKING:
    from platocr.tools.demo import DemoState

# Barcode crops need 64 px of height: at 32 the digits under the bars end up ~5 px tall.
PROBE_HEIGHT = 64


def probe_step(state: DemoState) -> None:
    """``platocr probe train.tsv --write-config probe.yaml``: the config training then uses."""
    from platocr.recognition.config import load_config
    from platocr.tools.probe import run_probe
    from platocr.tools.probe_config import write_probe_config

    s = state.settings
    base = load_config(state.config, s.train_overrides)
    device = None if s.device == "auto" else s.device
    user_height = any(o.replace(" ", "").startswith("input.height=") for o in s.train_overrides)
    # A fine-tune keeps the shipped model's height (None); from scratch, barcodes need PROBE_HEIGHT.
    height = base.input.height if user_height else (PROBE_HEIGHT if s.from_scratch else None)
    report = run_probe(
        state.out / "split" / "train.tsv", base, backbones=[base.model.backbone], runs=1, device=device,
        batch_sizes=(1,), height=height, fine_tune=not s.from_scratch,
    )  # fmt: skip
    path, lines = write_probe_config(report, base, state.out / "probe.yaml")
    state.artefacts["probe config (train uses it)"] = path
    state.init = report.init.name if report.init is not None else None
    h, w = report.input_size
    why = lines[0].split(". ")[0]  # the full reasoning is in probe.yaml's header
    state.figures["probe"] = f"input {h}x{w}, max text length {report.max_text_len}; {why}"


def train_step(state: DemoState) -> None:
    """``platocr train probe.yaml`` for the probe's step budget (or ``--steps``)."""
    from platocr.recognition.config import load_config
    from platocr.train import TrainRequest, train

    s = state.settings
    overrides = [f"train.seed={s.seed}", *s.train_overrides]
    if s.steps is not None:
        overrides.append(f"train.max_steps={s.steps}")
    split = state.out / "split"
    request = TrainRequest(
        config=state.out / "probe.yaml", out=state.out / "train", train=[str(split / "train.tsv")],
        val=str(split / "val.tsv"), overrides=overrides, device=s.device, progress=False,
    )  # fmt: skip
    started = time.monotonic()
    result = train(request)
    minutes = (time.monotonic() - started) / 60
    state.artefacts["model (best.pt)"] = result.run_dir / "best.pt"
    state.artefacts["training curves"] = result.run_dir / "curves.png"
    trained = load_config(result.run_dir / "config.yaml")
    rate = sum(r["samples_per_s"] for r in result.history) / max(len(result.history), 1)
    start = f"from {trained.train.init}" if trained.train.init else "from scratch"
    state.figures["train"] = (
        f"{start} ({trained.model.backbone}, {trained.input.height}x{trained.input.width}): {result.steps} "
        f"steps ({result.stop_reason}) in {minutes:.1f} min, {rate:.0f} samples/s"
    )
    best = next((row for row in result.history if row["epoch"] == result.best_epoch), None)
    if best is not None:
        state.figures["train: best validation"] = (
            f"epoch {best['epoch']} by {result.metric}: StringMatch {best['string_match']:.3f}, "
            f"CER {best['cer']:.3f}"
        )
    for i, warning in enumerate(result.warnings, start=1):
        state.figures[f"train: warning {i}"] = warning


def eval_step(state: DemoState) -> None:
    """``platocr eval best.pt test.tsv --json eval.json``, and the starting model on the same crops."""
    from platocr.tools.evaluate import evaluate

    test = state.out / "split" / "test.tsv"
    report = evaluate(state.out / "train" / "best.pt", test, device=state.settings.device, progress=False)
    path = state.out / "eval.json"
    path.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    state.artefacts["eval figures (test)"] = path
    state.test_predictions = [d.text for d in report.decoded]
    m = report.metrics
    state.figures["eval on test"] = (
        f"StringMatch {m.string_match:.3f}, CER {m.cer:.3f} on {m.n} crops ({report.decode}), "
        f"{report.crops_per_s:.0f} crops/s"
    )
    if state.init is not None:  # what fine-tuning changed: the shipped model on the same test crops
        before = evaluate(state.init, test, device=state.settings.device, progress=False).metrics
        state.figures["eval on test"] += f"; {state.init} as shipped: StringMatch {before.string_match:.3f}"


def gallery_step(state: DemoState) -> None:
    from platocr.tools.gallery import make_gallery

    result = make_gallery(
        state.out / "train" / "best.pt", state.out / "split" / "test.tsv", state.out / "gallery.html",
        limit=state.settings.gallery_limit, device=state.settings.device, progress=False,
    )  # fmt: skip
    state.artefacts["gallery (errors first)"] = result.path
    state.figures["gallery"] = f"{result.shown} of {result.total} test crops shown, {result.errors} errors"


def read_step(state: DemoState) -> None:
    """``platocr read best.pt test.tsv --out read.tsv``: unlabelled reading, as eval reads."""
    from platocr.tools.read import collect_images, read_images, write_rows

    model = state.out / "train" / "best.pt"
    result = read_images(model, collect_images([str(state.out / "split" / "test.tsv")]), progress=False)
    path = state.out / "read.tsv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_rows(result.rows, handle)
    state.artefacts["read: path, text, confidence"] = path
    texts = [row.text for row in result.rows]
    if len(texts) != len(state.test_predictions):
        raise PlatocrError(f"read {len(texts)} test crops, eval {len(state.test_predictions)}")
    same = sum(a == b for a, b in zip(texts, state.test_predictions, strict=True))
    state.figures["read"] = (
        f"{len(texts)} test crops, {result.crops_per_s:.0f} crops/s; the same text as eval for {same} of "
        f"{len(texts)}"
    )


def video_step(state: DemoState) -> None:
    from platocr.data.labels import open_dataset
    from platocr.tools.demo_video import run_demo_video

    s = state.settings
    rows = open_dataset(state.out / "split" / "test.tsv")
    video = run_demo_video(
        state.out / "train" / "best.pt", rows, state.out / "video", seconds=s.video_seconds,
        size=s.video_size, fps=s.video_fps, device=s.device,
    )  # fmt: skip
    state.artefacts["video: synthetic clip"] = video.clip
    state.artefacts["video: annotated"] = video.annotated
    state.artefacts["video: per-frame JSONL"] = video.jsonl
    st = video.stats
    width, height = st.size
    state.figures["video"] = (
        f"{st.frames} frames {width}x{height} annotated at {st.fps:.1f} fps ({video.backend}, {st.mode}, "
        f"bounded by {st.bottleneck}); ROI {','.join(map(str, video.roi))}; "
        f"frames read right {video.reads_right}/{len(video.texts)}"
    )
