"""Distributed training helpers: the same ``platocr train`` runs alone or under ``torchrun``.

Under torchrun (``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` set) the process group is initialised with
nccl on CUDA and gloo on CPU; rank 0 logs and writes files, decisions that must agree (stop early,
out of time) are broadcast from rank 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from platocr.recognition.backends import torch_device


@dataclass(frozen=True)
class DistContext:
    """Where this process sits: rank, world size and its device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(requested: str, local_rank: int = 0) -> torch.device:
    """``auto`` -> CUDA when available else CPU; ``cuda`` without a GPU is a user error."""
    return torch.device(torch_device(requested, local_rank))


def setup(requested_device: str = "auto") -> DistContext:
    """Initialise the process group when launched by torchrun; a no-op context otherwise."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(requested_device, local_rank)
    if world_size > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def cleanup() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def mean_over_ranks(value: float, ctx: DistContext) -> float:
    """Average a scalar over all ranks (e.g. the epoch's training loss)."""
    if not ctx.distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=_comm_device(ctx))
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return float(tensor.item()) / ctx.world_size


def sum_over_ranks(value: float, ctx: DistContext) -> float:
    if not ctx.distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=_comm_device(ctx))
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return float(tensor.item())


def broadcast_int(value: int, ctx: DistContext) -> int:
    """Rank 0's value, seen by every rank (so all follow the same plan and stop at the same epoch)."""
    if not ctx.distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.int64, device=_comm_device(ctx))
    dist.broadcast(tensor, src=0)
    return int(tensor.item())


def _comm_device(ctx: DistContext) -> torch.device:
    # nccl only moves CUDA tensors; gloo only CPU ones.
    return ctx.device if ctx.device.type == "cuda" else torch.device("cpu")
