"""Model cost per config on this CPU: T, parameters, inference and train-step time per image.

    .venv/bin/python scripts/bench_model.py configs/quick.yaml configs/plates_ru.yaml --threads 1
    .venv/bin/python scripts/bench_model.py configs/quick.yaml --set model.feature_stage=-2

Reports wall time and the CPU time of the process; on a machine shared with other jobs the wall
figure is inflated by waiting, and with 1 thread the CPU time is the contention-free cost.
A train step = forward + CTC loss + backward + AdamW step on random images, so data loading and
augmentation are not included.
"""

from __future__ import annotations

import argparse
import time

import torch

from platocr.model import build_model
from platocr.recognition.config import load_config


def timed(fn, repeats: int) -> tuple[float, float]:
    """(wall s, process CPU s) per call, after one warm-up call."""
    fn()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - wall) / repeats, (time.process_time() - cpu) / repeats


def bench(config: str, overrides: list[str], batch: int, repeats: int) -> str:
    cfg = load_config(config, overrides)
    vocab = cfg.data.vocab if cfg.data.vocab != "auto" else "0123456789"
    model = build_model(cfg, len(vocab) + 1)
    images = torch.randn(batch, 3, cfg.input.height, cfg.input.width)
    target_len = min(cfg.data.max_text_len, model.seq_len // 2)
    targets = torch.randint(1, len(vocab) + 1, (batch, target_len))
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def infer() -> None:
        with torch.inference_mode():
            model(images)

    def train_step() -> None:
        log_probs = model(images)  # (B, T, C)
        lengths = torch.full((batch,), model.seq_len)
        loss = ctc(log_probs.transpose(0, 1), targets, lengths, torch.full((batch,), target_len))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.eval()
    infer_wall, infer_cpu = timed(infer, repeats)
    model.train()
    train_wall, train_cpu = timed(train_step, repeats)
    params = sum(p.numel() for p in model.parameters()) / 1e6
    m = cfg.model
    return (
        f"{config} {' '.join(overrides)}: {m.backbone} stage {m.feature_stage} time_stride {m.time_stride} "
        f"at {cfg.input.height}x{cfg.input.width}, T={model.seq_len}, {params:.2f}M params | batch {batch}: "
        f"infer {1000 * infer_wall / batch:.2f} ms/img wall ({1000 * infer_cpu / batch:.2f} CPU), "
        f"train {batch / train_wall:.0f} img/s wall ({batch / train_cpu:.0f} per CPU-second)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="KEY=VALUE (repeat)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {args.threads} thread(s)")
    for config in args.configs:
        print(bench(config, args.overrides, args.batch, args.repeats), flush=True)


if __name__ == "__main__":
    main()
