"""Importers: RNNs defined elsewhere turned into an `RNNSpec`.

`from_torch` reads PyTorch `nn.RNN`/`nn.LSTM`/`nn.GRU` modules or their state dicts (no torch needed
for the latter); `from_onnx` is `trtrnn.onnx_io.from_onnx`, re-exported here so both live under one name.
"""

from __future__ import annotations

from typing import Any

from trtrnn.importers.pytorch import from_torch, from_torch_layout, to_torch_layout

__all__ = ["from_onnx", "from_torch", "from_torch_layout", "to_torch_layout"]


def from_onnx(*args: Any, **kwargs: Any) -> Any:
    """`trtrnn.onnx_io.from_onnx` (imported on first use: it needs the `onnx` package)."""
    from trtrnn.onnx_io import from_onnx as _from_onnx

    return _from_onnx(*args, **kwargs)
