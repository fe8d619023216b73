"""Training building blocks: source specs, mixing sampler, LR schedule, CTC loss, augmentation."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from platocr.errors import PlatocrError
from platocr.model.registry import build_model
from platocr.recognition.checkpoint import load_checkpoint, read_checkpoint
from platocr.recognition.config import AugmentConfig, Config, TrainConfig, apply_overrides
from platocr.recognition.tokenizer import Tokenizer
from platocr.recognition.zoo import resolve_model
from platocr.train.augment import build_augmenter
from platocr.train.budget import TimeBudget
from platocr.train.data import Collate, MixedSampler, parse_source
from platocr.train.ddp import DistContext
from platocr.train.history import improved
from platocr.train.resume import char_ranges, init_weights, resample_kernel_height
from platocr.train.schedule import build_scheduler, lr_factor, plan_epochs, set_total_steps
from platocr.train.steps import EpochStats, Precision, ctc_loss, train_one_epoch
from platocr.train.threads import training_threads


def test_parse_source() -> None:
    assert parse_source("real/train.tsv:0.5") == (Path("real/train.tsv"), 0.5)
    assert parse_source("real/train.tsv") == (Path("real/train.tsv"), 1.0)
    assert parse_source("C:/data/labels.tsv") == (Path("C:/data/labels.tsv"), 1.0)
    with pytest.raises(PlatocrError, match="weight"):
        parse_source("synth.tsv:0")


def test_mixed_sampler_follows_weights_not_sizes() -> None:
    sampler = MixedSampler([100, 1000], [1.0, 0.5], num_samples=900, seed=3)
    indices = list(sampler)
    assert len(indices) == 900
    per_source = Counter(i >= 100 for i in indices)
    assert per_source[False] == 600 and per_source[True] == 300  # 2/3 small source, 1/3 large
    assert len(set(i for i in indices if i >= 100)) == 300  # no duplicates inside one pass
    assert list(sampler) == indices  # same epoch, same order
    sampler.set_epoch(1)
    assert list(sampler) != indices


def test_mixed_sampler_shards_ranks_disjointly() -> None:
    shards = [list(MixedSampler([7, 5], [1, 1], 12, seed=0, rank=r, world_size=2)) for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 6
    positions = [shards[r][k] for k in range(6) for r in range(2)]
    assert positions == list(MixedSampler([7, 5], [1, 1], 12, seed=0))


@pytest.mark.parametrize("schedule", ["onecycle", "cosine"])
def test_lr_schedule_warms_up_then_decays(schedule: str) -> None:
    factors = [lr_factor(s, total_steps=100, schedule=schedule, warmup_pct=0.1) for s in range(100)]
    peak = int(np.argmax(factors))
    assert 8 <= peak <= 11 and factors[peak] == pytest.approx(1.0, abs=0.05)
    assert factors[0] < 0.2 and factors[-1] < 0.01
    assert all(a >= b for a, b in zip(factors[peak:], factors[peak + 1 :], strict=False))


def test_ctc_loss_accepts_negatives_and_masks_unlearnable_rows() -> None:
    tokenizer = Tokenizer("AB")
    items = [
        (np.zeros((8, 16, 3), np.uint8), text, ok) for text, ok in [("AB", True), ("", True), ("AC", False)]
    ]
    batch = Collate(tokenizer)(items)
    assert batch.target_lengths.tolist() == [2, 0, 1]  # unknown 'C' dropped, row flagged
    log_probs = torch.randn(3, 6, tokenizer.num_classes).log_softmax(-1).requires_grad_()
    loss = ctc_loss(log_probs, batch)
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    assert log_probs.grad[2].abs().sum() == 0  # the out-of-vocab row teaches nothing


def test_augmenter_is_seeded_and_keeps_the_input_size() -> None:
    cfg = Config()
    rng = np.random.default_rng(0)
    crop = rng.integers(0, 255, (30, 120, 3), dtype=np.uint8)
    outs = [build_augmenter(cfg.augment, cfg.input, seed=5)(crop) for _ in range(2)]
    assert outs[0].shape == (cfg.input.height, cfg.input.width, 3) and outs[0].dtype == np.uint8
    assert np.array_equal(outs[0], outs[1])
    augmenter = build_augmenter(cfg.augment, cfg.input, seed=5)
    assert any(not np.array_equal(augmenter(crop), outs[0]) for _ in range(5))
    off = build_augmenter(cfg.augment.__class__(enabled=False), cfg.input)
    assert np.array_equal(off(crop), off(crop))


def test_blur_and_downscale_ranges_come_from_the_config() -> None:
    """A distant plate's look: the configured low scale and strong blur remove fine detail."""
    cfg = Config()
    crop = np.random.default_rng(1).integers(0, 255, (cfg.input.height, cfg.input.width, 3), dtype=np.uint8)
    off = ("pad_jitter", "perspective", "brightness_contrast", "clahe", "noise", "coarse_dropout", "jpeg")
    plain = replace(cfg.augment, **dict.fromkeys(off, 0.0), blur=0.0, downscale=0.0, grayscale=0.0)
    plain = replace(plain, scale_x=(1.0, 1.0), rotate_limit=0.0)
    small = replace(plain, downscale=1.0, downscale_range=(0.25, 0.3))
    blurred = replace(plain, blur=1.0, blur_sigma=(2.5, 3.0))

    def detail(look: AugmentConfig, seed: int) -> float:
        image = build_augmenter(look, cfg.input, seed=seed)(crop)
        return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())

    for seed in range(3):
        assert detail(small, seed) < 0.01 * detail(plain, seed)
        assert detail(blurred, seed) < 0.3 * detail(plain, seed)


def test_passing_car_blur_smears_along_the_plate_only() -> None:
    """A passing car's blur: vertical strokes (a character's edges left and right) lose their edges, the
    horizontal ones (its top and bottom) keep them."""
    cfg = Config()
    off = ("pad_jitter", "perspective", "brightness_contrast", "clahe", "noise", "coarse_dropout", "jpeg")
    plain = replace(cfg.augment, **dict.fromkeys(off, 0.0), blur=0.0, downscale=0.0, grayscale=0.0)
    plain = replace(plain, scale_x=(1.0, 1.0), rotate_limit=0.0)
    passing = replace(plain, passing_car_blur=1.0, passing_car_blur_length=(0.08, 0.09))
    crop = np.zeros((cfg.input.height, cfg.input.width, 3), np.uint8)
    crop[:, ::16] = crop[:, 1::16] = 255  # vertical strokes
    crop[::12] = crop[1::12] = 255  # horizontal strokes

    def edges(look: AugmentConfig, seed: int) -> tuple[float, float]:
        grey = cv2.cvtColor(build_augmenter(look, cfg.input, seed=seed)(crop), cv2.COLOR_RGB2GRAY)
        inner = grey[8:-8, 16:-16].astype(np.float64)  # clear of the blur's border handling
        return float(np.abs(np.diff(inner, axis=1)).mean()), float(np.abs(np.diff(inner, axis=0)).mean())

    for seed in range(3):
        across, along = edges(passing, seed)
        plain_across, plain_along = edges(plain, seed)
        assert across < 0.5 * plain_across and along > 0.7 * plain_along, (
            across,
            plain_across,
            along,
            plain_along,
        )


def test_time_budget_plan_fits_whole_epochs_and_may_grow_again() -> None:
    # 3 epochs done in 90 s of a 300 s budget at 30 s each: 7 more fit.
    assert plan_epochs(done=3, max_epochs=40, elapsed_s=90, budget_s=300, epoch_s=30) == 10
    assert plan_epochs(done=3, max_epochs=5, elapsed_s=90, budget_s=300, epoch_s=30) == 5  # train.epochs caps
    assert plan_epochs(done=3, max_epochs=40, elapsed_s=310, budget_s=300, epoch_s=30) == 3  # over: stop now
    assert plan_epochs(done=3, max_epochs=40, elapsed_s=290, budget_s=300, epoch_s=30) == 3  # no whole epoch
    # A slow first epoch (60 s) plans 4 epochs of a 300 s budget; epochs 2-3 at 20 s bring the mean
    # to 100/3 s, and the re-plan after epoch 3 lengthens the run to 8 epochs.
    assert plan_epochs(done=1, max_epochs=40, elapsed_s=60, budget_s=300, epoch_s=60) == 5
    assert plan_epochs(done=3, max_epochs=40, elapsed_s=100, budget_s=300, epoch_s=100 / 3) == 8


def test_time_budget_goes_by_the_mean_epoch_and_a_spent_budget_stops_every_step() -> None:
    ctx = DistContext(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))
    unlimited = TimeBudget(None, ctx)
    unlimited.epoch_done(1e9)
    assert not unlimited.exhausted() and unlimited.last_epoch(3, 40) == 40
    spent = TimeBudget(0, ctx)
    assert spent.exhausted()
    assert spent.last_epoch(0, 40) == 40  # no epoch time yet: the schedule keeps train.epochs
    spent.epoch_done(5.0)
    assert spent.last_epoch(1, 40) == 1
    resumed = TimeBudget(60, ctx, past_epoch_s=[1000.0, 2000.0])  # 1,500 s each: 2 fit in 60 min
    assert resumed.last_epoch(2, 40) == 4
    resumed.epoch_done(1e-3)  # this invocation's epochs replace the earlier estimate
    assert resumed.last_epoch(3, 40) == 40


def test_schedule_re_planned_from_the_current_step_anneals_at_the_new_end() -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = build_scheduler(optimizer, TrainConfig(schedule="onecycle", warmup_pct=0.1), 1000)
    for _ in range(50):
        optimizer.step()
        scheduler.step()
    set_total_steps(scheduler, scheduler.last_epoch + 50)  # shorter: 50 steps left
    for _ in range(49):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] < 0.01  # annealed at the new, earlier end
    set_total_steps(scheduler, scheduler.last_epoch + 100)  # longer again
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] > 0.01


def test_selection_ties_go_to_the_lower_val_loss() -> None:
    # StringMatch 0.0 at epochs 1 and 2: epoch 2's lower val loss takes best.pt; a higher one does not.
    assert improved(0.0, 0.0, "string_match", True, loss=1.5, best_loss=2.0)
    assert not improved(0.0, 0.0, "string_match", True, loss=2.5, best_loss=2.0)
    assert not improved(0.1, 0.2, "string_match", True, loss=0.1, best_loss=2.0)  # the metric comes first
    assert improved(0.3, 0.2, "string_match", True, loss=9.0, best_loss=2.0)
    assert improved(0.2, 0.2, "cer", True, loss=1.0, best_loss=2.0)
    assert not improved(0.0, 0.0, "string_match", True)  # no val loss: the earlier epoch stays
    assert improved(0.0, None, "string_match", True)


@pytest.mark.parametrize(
    ("cores", "workers", "omp", "expected"),
    [
        (2, 1, None, (1, "2 cores, 1 loader worker")),
        (8, 2, None, (6, "8 cores, 2 loader workers")),
        (2, 4, None, (1, "2 cores, 4 loader workers")),
        (2, 0, None, (2, "2 cores, 0 loader workers")),
        (2, 1, "3", (3, "OMP_NUM_THREADS=3")),  # the user's setting wins
    ],
)
def test_cpu_training_threads_leave_a_core_per_loader_worker(
    cores: int, workers: int, omp: str | None, expected: tuple[int, str]
) -> None:
    assert training_threads(cores, workers, omp) == expected


class ColumnCtc(torch.nn.Module):
    """(B, 3, H, W) images -> (B, T=W, C) log-probabilities: a linear head over each pixel column."""

    def __init__(self, channels: int, classes: int) -> None:
        super().__init__()
        self.head = torch.nn.Linear(channels, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(images.flatten(1, 2).transpose(1, 2)).log_softmax(-1)


def test_train_one_epoch_stops_after_the_current_step_when_asked() -> None:
    tokenizer = Tokenizer("AB")
    items = [(np.zeros((4, 8, 3), np.uint8), "AB", True)] * 2
    batches = [Collate(tokenizer)(items) for _ in range(3)]
    model = ColumnCtc(channels=3 * 4, classes=tokenizer.num_classes)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = build_scheduler(optimizer, TrainConfig(), 10)
    scaler = torch.amp.GradScaler("cuda", enabled=False)
    precision = Precision(torch.device("cpu"))
    asked = []

    def run(stop: Callable[[], bool]) -> EpochStats:
        return train_one_epoch(model, batches, optimizer, scheduler, scaler, precision, 1.0, stop=stop)

    cut = run(lambda: asked.append(1) or True)  # a spent budget still trains one step
    assert (cut.steps, cut.stopped, cut.samples, len(asked)) == (1, True, 2, 1)
    whole = run(lambda: False)
    assert (whole.steps, whole.stopped, whole.samples) == (3, False, 6)


def test_init_at_another_input_height_resamples_the_collapse_kernel() -> None:
    kernel = torch.randn(5, 4, 2, 1)
    taller = resample_kernel_height(kernel, 3)
    assert taller.shape == (5, 4, 3, 1)
    # a constant column gives the same response; the end rows keep the old end rows' proportion
    assert torch.allclose(taller.sum(dim=2), kernel.sum(dim=2), atol=1e-6)
    assert torch.allclose(taller[:, :, 0], kernel[:, :, 0] * 2 / 3, atol=1e-6)
    assert torch.allclose(resample_kernel_height(kernel, 2), kernel)

    shipped = resolve_model("plates-ru")
    loaded = load_checkpoint(shipped)
    taller_input = loaded.config.input.height + 16  # one more row of stride-16 features
    model = build_model(
        apply_overrides(loaded.config, [f"input.height={taller_input}"]), loaded.tokenizer.num_classes
    )
    note = init_weights(model, str(shipped))
    # "N fresh" would name tensors that start untrained (the checkpoint's path may hold the word too).
    assert "1 resampled to a new kernel height" in note and not re.search(r"\d+ fresh", note)
    source = read_checkpoint(shipped)["model"]
    name = next(k for k, v in source.items() if v.ndim == 4 and model.state_dict()[k].shape != v.shape)
    assert torch.allclose(model.state_dict()[name].sum(dim=2), source[name].sum(dim=2), atol=1e-5)


def test_init_under_another_vocab_carries_the_blank_and_the_shared_characters_rows() -> None:
    loaded = load_checkpoint(resolve_model("barcodes-ean"))  # vocab 0-9
    vocab = "0123456789ab"
    model = build_model(loaded.config, len(vocab) + 1)
    fresh = model.state_dict()["head.weight"].clone()
    note = init_weights(model, "barcodes-ean", vocab)
    tensors = len(model.state_dict())
    assert note == (
        f"{tensors - 2} of {tensors} tensors from barcodes-ean; "
        "head: blank + 10 of 12 characters carried (0-9), 2 new (ab)"
    )
    source, head = read_checkpoint("barcodes-ean")["model"], model.state_dict()
    for key in ("head.weight", "head.bias"):
        assert torch.equal(head[key][:11], source[key])  # blank + 0-9 keep their classes here
    assert torch.equal(head["head.weight"][11:], fresh[11:])  # a, b start fresh
    assert char_ranges("0123456789ABCDEKMH") == "0-9A-EKMH" and char_ranges("ab") == "ab"
