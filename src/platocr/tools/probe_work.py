"""How much work a model does per crop: multiply-adds counted from its layers, and measured latency.

The probe ranks backbones by the count, which depends only on the architecture and the input size, so
two runs pick the same one; latency is shown beside it but varies with the machine's load.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

# Multiplications per step and unit for each gate set of an RNN cell (nn.RNNBase.mode).
_RNN_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def count_macs(model: nn.Module, input_size: tuple[int, int]) -> int:
    """Multiply-adds of one (1, 3, H, W) forward pass through the conv, linear and GRU/LSTM layers.

    Pooling, normalisation and activations are left out: they are a small share of a CRNN's work.
    """
    total = 0

    def conv(module: nn.Conv2d, _: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        total += output.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)

    def linear(module: nn.Linear, _: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        total += output.numel() * module.in_features

    def rnn(module: nn.RNNBase, inputs: tuple[torch.Tensor, ...], _: object) -> None:
        nonlocal total
        steps = inputs[0].shape[1 if module.batch_first else 0]
        directions = 2 if module.bidirectional else 1
        hidden = module.hidden_size
        for layer in range(module.num_layers):
            features = module.input_size if layer == 0 else hidden * directions
            total += steps * directions * _RNN_GATES[module.mode] * (features + hidden) * hidden

    hooks = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(conv))
        elif isinstance(module, nn.Linear):
            hooks.append(module.register_forward_hook(linear))
        elif isinstance(module, nn.RNNBase):
            hooks.append(module.register_forward_hook(rnn))
    was_training = model.training
    try:
        model.eval()
        with torch.inference_mode():
            model(torch.zeros(1, 3, *input_size, device=next(model.parameters()).device))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return total


def measure_latency(
    model: nn.Module, input_size: tuple[int, int], batch: int, device: torch.device, runs: int
) -> float:
    """Median milliseconds per forward pass of a (batch, 3, H, W) input, after two warm-up runs."""
    x = torch.randn(batch, 3, *input_size, device=device)
    timings = []
    with torch.inference_mode():
        for i in range(runs + 2):
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            model(x)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if i >= 2:
                timings.append((time.perf_counter() - start) * 1000)
    return float(np.median(timings))
