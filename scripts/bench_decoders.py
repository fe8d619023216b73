"""Milliseconds per crop of each CTC decoder on synthetic (B, T, C) log-probabilities.

Two kinds of frames: ``trained`` imitates a trained model (each frame gives 0.9-0.999 to one class,
mostly blank, characters one or two frames wide, one frame in ten torn between two characters);
``flat`` is softmax(N(0, 1)) logits, the worst case (every class above the pruning threshold).

    .venv/bin/python scripts/bench_decoders.py --batch 64 --repeats 3 [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

from platocr.recognition.decoding import get_decoder, list_decoders
from platocr.recognition.tokenizer import Tokenizer

VOCABS = {11: "0123456789", 23: "0123456789ABCEHKMOPTXY"}


def trained_like(batch: int, frames: int, classes: int, generator: torch.Generator) -> torch.Tensor:
    """(B, T, C) log-probabilities shaped like a trained CTC model's output."""
    probs = torch.rand(batch, frames, classes, generator=generator) * 0.01
    top = torch.where(
        torch.rand(batch, frames, generator=generator) < 0.4,  # ~40% of frames carry a character
        torch.randint(1, classes, (batch, frames), generator=generator),
        torch.zeros(batch, frames, dtype=torch.long),
    )
    peak = 0.9 + 0.099 * torch.rand(batch, frames, generator=generator)
    probs.scatter_(-1, top.unsqueeze(-1), peak.unsqueeze(-1) * 10)
    torn = torch.rand(batch, frames, generator=generator) < 0.1
    rival = torch.randint(1, classes, (batch, frames), generator=generator)
    probs.scatter_add_(-1, rival.unsqueeze(-1), (torn.float() * 5).unsqueeze(-1))
    return (probs / probs.sum(-1, keepdim=True)).log()


def flat(batch: int, frames: int, classes: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(batch, frames, classes, generator=generator).log_softmax(-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="best of N timings")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0 = torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    print(
        f"torch threads={torch.get_num_threads()}  batch={args.batch}  ms per crop (best of {args.repeats})"
    )
    print(f"{'kind':>8} {'T':>3} {'C':>3} " + " ".join(f"{name:>13}" for name in list_decoders()))
    for kind, make in (("trained", trained_like), ("flat", flat)):
        for frames in (32, 64):
            for classes, vocab in VOCABS.items():
                tokenizer = Tokenizer(vocab)
                log_probs = make(args.batch, frames, classes, generator)
                cells = []
                for name in list_decoders():
                    decoder = get_decoder(name)
                    best = float("inf")
                    for _ in range(args.repeats):
                        start = time.perf_counter()
                        decoder(log_probs, tokenizer)
                        best = min(best, time.perf_counter() - start)
                    cells.append(f"{best / args.batch * 1000:13.3f}")
                print(f"{kind:>8} {frames:>3} {classes:>3} " + " ".join(cells))


if __name__ == "__main__":
    main()
