"""How one recurrence is laid out on a GPU: units per CTA, threads, CTAs, shared memory — or why not.

Pure arithmetic over the variant's register budget and the device's limits, so it is unit-tested
without a GPU and the same answer is given at build time (a named error before any launch) and at
run time. The kernel needs every CTA resident at once (CTAs wait for each other's h every step):
the grid is at most one CTA per SM, and the launch is cooperative, so the driver refuses a grid
that cannot be co-resident instead of letting it deadlock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from trtrnn.enums import RNNOperation
from trtrnn_persistent.errors import UnsupportedSizeError
from trtrnn_persistent.variants import COLS, MAX_HIDDEN, SPLIT_BUCKETS, Variant, variant_for

#: CTAs per direction to aim for, by batch: measured on an H200 (`bench_persistent.py --sweep`, LSTM
#: T128, µs/step): at batch 1 the most CTAs (H512: 128 CTAs 1.27, 64 1.40; H256: 128 1.26, 64 1.26,
#: 32 1.42); at batch 8 few, large ones (H256: 32 CTAs 2.30, 64 2.60, 128 2.60). Units per CTA follow
#: from H, within what the SM count requires and the variant's registers allow.
#: `TRTRNN_PERSISTENT_UNITS` overrides.
TARGET_CTAS = {1: 128, 2: 128}
TARGET_CTAS_LARGE_BATCH = 32
#: Warps a CTA has at least, so gathering h has enough loads in flight.
MIN_WARPS = 4
#: `TRTRNN_PERSISTENT_LAYOUT`: "auto" (the split layout at batch 1 where its grid fits, else a warp
#: per unit) or "unit" (always a warp per unit; for comparisons).
LAYOUTS = ("auto", "unit")


@dataclass(frozen=True)
class DeviceLimits:
    """What the plan depends on: SM count, opt-in shared memory per block, and the CUBIN arch."""

    sm_count: int
    max_shared_per_block: int
    arch: str


#: NVIDIA H200 (SXM): 132 SMs, 227 KiB opt-in shared memory per block.
H200 = DeviceLimits(132, 232448, "sm_90")


@dataclass(frozen=True)
class Plan:
    variant: Variant
    units: int  # hidden units per CTA (one warp each)
    threads: int
    ctas_per_direction: int
    directions: int
    shared_bytes: int  # dynamic shared memory for the largest batch planned for

    @property
    def grid(self) -> int:
        return self.ctas_per_direction * self.directions


def shared_bytes(variant: Variant, hidden: int, units: int, batch: int) -> int:
    """h(t-1) twice (double buffer, N*H plus 32*cols zeros), the CTA's h and c, the lengths."""
    return 4 * (2 * (batch * hidden + 32 * variant.cols) + 2 * units * batch + batch)


def plan(
    op: RNNOperation,
    hidden: int,
    directions: int,
    batch: int,
    weights: str,
    device: DeviceLimits,
    units: int | None = None,
    layout: str | None = None,
) -> Plan:
    """The launch layout for one stack layer; UnsupportedSizeError saying which limit is exceeded.

    At batch 1 with fp32 weights the split layout (`Variant.split`: columns over warps, cols / 4
    units a CTA) is taken where one CTA per SM holds it; it beat a warp per unit at every H measured
    (`bench_persistent.py`, reports/persistent-bench.json). Otherwise, or with `units` given, a
    warp per unit."""
    if weights not in COLS:
        raise UnsupportedSizeError(f"weights: expected float32 or float16; got {weights!r}")
    variant = variant_for(op, hidden, weights)
    if variant is None:
        raise UnsupportedSizeError(
            f"hidden_size: {hidden} is above {MAX_HIDDEN[weights]}, the largest H whose {weights} "
            "recurrent weights the persistent kernel keeps in registers"
        )
    layout = layout or os.environ.get("TRTRNN_PERSISTENT_LAYOUT", "auto")
    if layout not in LAYOUTS:
        raise UnsupportedSizeError(f"TRTRNN_PERSISTENT_LAYOUT: expected one of {LAYOUTS}; got {layout!r}")
    if units is None:
        units = int(os.environ.get("TRTRNN_PERSISTENT_UNITS", "0"))
    if batch == 1 and not units and layout == "auto" and (weights, variant.cols) in SPLIT_BUCKETS:
        split = Variant(variant.cell, variant.cols, weights, split=True)
        ctas = -(-hidden // split.split_units)
        if ctas * directions <= device.sm_count:
            return Plan(split, split.split_units, split.max_threads, ctas, directions, 0)
    per_direction = device.sm_count // directions
    fewest = -(-hidden // per_direction)  # units per CTA for one CTA per SM
    if not units:
        target = TARGET_CTAS.get(batch, TARGET_CTAS_LARGE_BATCH)
        units = min(-(-hidden // target), variant.max_threads // 32)
    units = max(fewest, min(units, hidden))
    threads = 32 * max(units, MIN_WARPS)
    if threads > variant.max_threads:
        raise UnsupportedSizeError(
            f"hidden_size: {hidden} with {directions} direction(s) needs {units} units per CTA on "
            f"{device.sm_count} SMs, but {weights} weights of variant {variant.name} leave registers for "
            f"{variant.max_threads // 32} warps (one per unit)"
            + ("; float16 weights take half the registers" if weights == "float32" else "")
        )
    smem = shared_bytes(variant, hidden, units, batch)
    if smem > device.max_shared_per_block:
        raise UnsupportedSizeError(
            f"batch: {batch} sequences of H={hidden} need {smem} bytes of shared memory per CTA for h; "
            f"this GPU allows {device.max_shared_per_block}: use a smaller batch (or profile maximum)"
        )
    return Plan(variant, units, threads, -(-hidden // units), directions, smem)


def max_hidden(op: RNNOperation, directions: int, weights: str, device: DeviceLimits = H200) -> int:
    """The largest H that plans for batch 1 (registers and SMs; shared memory is per batch)."""
    best = 0
    for hidden in range(32, MAX_HIDDEN[weights] + 1, 32):
        try:
            plan(op, hidden, directions, 1, weights, device)
        except UnsupportedSizeError:
            continue
        best = hidden
    return best
