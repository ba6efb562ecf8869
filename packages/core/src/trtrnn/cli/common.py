"""What several commands share: progress on stderr, timing, the spec summary, building a network."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from trtrnn.backend import Backend
from trtrnn.spec import RNNSpec


def progress(message: str) -> None:
    """Progress on stderr, so stdout stays the result."""
    print(message, file=sys.stderr, flush=True)


def timed(what: str, fn: Callable[[], Any]) -> Any:
    """`fn()`, with "what ..." before and "what: done in N s" after, on stderr."""
    progress(f"{what} ...")
    start = time.perf_counter()
    result = fn()
    progress(f"{what}: done in {time.perf_counter() - start:.1f} s")
    return result


def spec_summary(spec: RNNSpec) -> list[str]:
    """The spec in three lines: op and structure, shapes, the features it needs; then one line per
    extension it uses (docs/semantics.md §2.1-2.4), with its values."""
    shapes = ", ".join(str(list(s)) for s in spec.output_shapes)
    return [
        f"spec: {spec.op.name}, hidden_size {spec.hidden_size}, {spec.num_layers} layer(s), "
        f"{spec.direction.name}, input mode {spec.input_mode.name}",
        f"  input {list(spec.input_shape)} (batch {list(spec.batch_shape)}, T {spec.max_seq_length}, "
        f"E {spec.data_length}); outputs {shapes}",
        f"  needs: {', '.join(sorted(f.value for f in spec.features()))}",
        *(f"  {line}" for line in extension_lines(spec)),
    ]


def extension_lines(spec: RNNSpec) -> list[str]:
    """The extensions a spec uses, one line each: what a user must see to trust the import."""
    lines = []
    if spec.op.name == "GRU" and not spec.linear_before_reset:
        lines.append("GRU linear_before_reset=0: the reset gate scales h before the recurrent matmul")
    if spec.peepholes:
        lines.append(f"peepholes (i, o, f) on {spec.num_layer_indices} layer index(es)")
    if spec.input_forget:
        lines.append("input_forget: f = 1 - i")
    if spec.clip is not None:
        lines.append(f"clip: gate inputs clipped to [-{spec.clip:g}, {spec.clip:g}]")
    for index in sorted(spec.activations):
        acts = spec.activation_functions(index)
        lines.append(f"activations of layer index {index}: {', '.join(map(str, acts))}")
    if spec.reverse:
        lines.append("direction reverse: the one direction runs from the last step to the first")
    if spec.proj_size:
        lines.append(
            f"projection: proj_size {spec.proj_size} (h is {spec.proj_size} wide, c {spec.hidden_size})"
        )
    return lines


def build_network(
    backend: Backend,
    spec: RNNSpec,
    x: np.ndarray | None,
    dynamic_batch: bool = False,
    precision: str = "fp32",
) -> Any:
    """The spec's network through `backend` (a `SpecNetwork`), refusing what it cannot express."""
    from trtrnn.network import build_spec_network

    backend.require(spec, as_inputs=True, dynamic_batch=dynamic_batch, precision=precision)
    x = np.zeros(spec.input_shape, np.float32) if x is None else x
    return build_spec_network(backend.build, spec, x, dynamic_batch=dynamic_batch, precision=precision)


def tf32_text(tf32: bool | None, how: str = "") -> str:
    """How an engine's BuilderFlag.TF32 reads in `build` and `inspect` output (`how`: why it is so)."""
    if tf32 is None:
        return "unknown (no sidecar, or one written before trtrnn recorded it)"
    state = ("on" if tf32 else "off") + (f" ({how})" if how else "")
    if tf32:
        return f"{state}: float32 matrix multiplies read TF32 operands on Ampere and newer GPUs"
    return f"{state}: float32 matrix multiplies compute in float32"
