"""Training building blocks: source specs, mixing sampler, LR schedule, CTC loss, augmentation."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from platocr.config import Config, TrainConfig
from platocr.errors import PlatocrError
from platocr.tokenizer import Tokenizer
from platocr.train.augment import build_augmenter
from platocr.train.data import Collate, MixedSampler, parse_source
from platocr.train.schedule import build_scheduler, lr_factor, plan_epochs, set_total_steps
from platocr.train.steps import ctc_loss


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


def test_time_budget_plan_shrinks_the_schedule_to_fit() -> None:
    # 3 epochs done in 90 s of a 300 s budget at 30 s each: 7 more fit, capped by the plan.
    assert plan_epochs(done=3, planned=40, elapsed_s=90, budget_s=300, epoch_s=30) == 10
    assert plan_epochs(done=3, planned=5, elapsed_s=90, budget_s=300, epoch_s=30) == 5
    assert plan_epochs(done=3, planned=40, elapsed_s=310, budget_s=300, epoch_s=30) == 3  # over: stop now
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = build_scheduler(optimizer, TrainConfig(schedule="onecycle", warmup_pct=0.1), 1000)
    for _ in range(50):
        optimizer.step()
        scheduler.step()
    set_total_steps(scheduler, 100)
    for _ in range(49):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] < 0.01  # annealed at the new, earlier end
