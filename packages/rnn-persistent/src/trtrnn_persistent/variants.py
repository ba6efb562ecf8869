"""Kernel variants: the compile-time parameters of `cuda/persistent_rnn.cu` and the finite set of them.

A variant fixes what must be known at compile time for the weights to live in registers (indexed only
by unrolled loops): the cell (its gate count: RNN for RELU and TANH, LSTM, GRU), the columns of h each
lane multiplies (`cols`, so H <= 32 * cols), the weight type, and the threads per CTA the register
budget allows. H, the batch, T, the directions, the I/O float type and RELU-vs-TANH are run-time
arguments, so one variant serves every H of its column bucket. `all_variants()` is everything the
plugin can ever ask NVRTC for: CI compiles all of it for every architecture in `nvrtc.CI_ARCHS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from trtrnn.enums import RNNOperation

#: Column buckets: H <= 32 * cols. fp16 weights pack two columns per register, so cols is even there.
#: Few buckets keep the compile set small (CI compiles all of them); a smaller H than the bucket's
#: costs multiply-adds on zero padding, not registers that matter.
COLS = {"float32": (2, 8, 16, 32), "float16": (2, 8, 16, 32, 48)}
#: Registers a thread needs besides its weights: a base, plus h values loaded ahead per column and
#: per-gate sums (fitted to ptxas's reports for every variant so that none spills).
BASE_REGISTERS = 64
#: ptxas sizes the register cap of `__launch_bounds__(t, 1)` for t rounded up to this many threads.
THREAD_GRANULE = 128
REGISTERS_PER_SM = 65536
MAX_THREADS_PER_CTA = 1024
#: Buckets with a batch-1 split layout (`Variant.split`): fp32 weights; a warp multiplies 128 columns
#: and a lane holds 2 units' rows, so cols / 4 units (warps) per CTA cover the bucket's 32 * cols
#: columns, with cols / 2 weights per lane and row.
SPLIT_BUCKETS = frozenset({("float32", 8), ("float32", 16), ("float32", 32)})
#: Largest H each weight type can keep in registers (the last column bucket).
MAX_HIDDEN = {w: 32 * cols[-1] for w, cols in COLS.items()}
KERNEL_NAME = "persistent_rnn"
SOURCE_FILE = "persistent_rnn.cu"
#: The kernel's cells: its RNN_CELL value and gate count.
CELLS = {"RNN": (0, 1), "LSTM": (2, 4), "GRU": (3, 3)}
#: Run-time flags (the kernel's FLAG_*).
FLAG_IO_HALF = 1
FLAG_RELU = 2


def source() -> str:
    """The kernel's CUDA C++ source text (one file, every variant)."""
    return resources.files("trtrnn_persistent").joinpath("cuda").joinpath(SOURCE_FILE).read_text()


def cell_of(op: RNNOperation) -> str:
    """The kernel cell that computes `op`: RELU and TANH share one (the activation is a flag)."""
    op = RNNOperation(op)
    return "RNN" if op in (RNNOperation.RELU, RNNOperation.TANH) else op.name


@dataclass(frozen=True, order=True)
class Variant:
    """One compiled form of the kernel (see the module docstring)."""

    cell: str
    cols: int
    weights: str = "float32"  # "float32" | "float16"
    split: bool = False  # the batch-1 layout: columns split over the warps (RNN_SPLIT)

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {list(CELLS)}; got {self.cell!r}")
        if self.weights not in COLS:
            raise ValueError(f"weights must be float32 or float16; got {self.weights!r}")
        if self.cols not in COLS[self.weights]:
            raise ValueError(f"cols {self.cols} is not a {self.weights} bucket {COLS[self.weights]}")
        if self.split and (self.weights, self.cols) not in SPLIT_BUCKETS:
            raise ValueError(f"the split layout has {sorted(SPLIT_BUCKETS)} only; got {self.name}")

    @property
    def gates(self) -> int:
        return CELLS[self.cell][1]

    @property
    def weight_registers(self) -> int:
        """32-bit registers one thread holds weights in (fp16 packs two per register)."""
        per_gate = self.cols // 2 if self.weights == "float16" else self.cols
        return self.gates * per_gate

    @property
    def reduced_values(self) -> int:
        """Partial sums a lane holds for one transposed reduction: gates (padded to a power of two)
        x the batch group (the kernel's GP * BATCH_GROUP)."""
        padded = 1 if self.gates == 1 else 4
        return padded * (2 if self.cols >= 32 else 8)

    @property
    def split_units(self) -> int:
        """Hidden units (= warps) of a CTA in the split layout: two per row group of lanes."""
        return self.cols // 4

    @property
    def max_threads(self) -> int:
        """Threads per CTA that the register file holds at one CTA per SM (the launch bound)."""
        if self.split:
            return 32 * self.split_units
        other = BASE_REGISTERS + self.cols // 2 + 8 * self.gates + self.reduced_values
        regs = -(-(self.weight_registers + other) // 8) * 8
        return min(MAX_THREADS_PER_CTA, REGISTERS_PER_SM // regs // THREAD_GRANULE * THREAD_GRANULE)

    @property
    def name(self) -> str:
        return f"{self.cell}-c{self.cols}-w{self.weights[5:]}" + ("-split" if self.split else "")

    def defines(self) -> dict[str, int]:
        return {
            "RNN_CELL": CELLS[self.cell][0],
            "RNN_COLS": self.cols,
            "RNN_WHALF": int(self.weights == "float16"),
            "RNN_MAX_THREADS": self.max_threads,
            "RNN_SPLIT": int(self.split),
        }


def all_variants() -> list[Variant]:
    """Every variant the plugin can select: cells x weight types x column buckets."""
    unit = [Variant(cell, cols, w) for cell in CELLS for w, buckets in COLS.items() for cols in buckets]
    return unit + [Variant(cell, cols, w, split=True) for cell in CELLS for w, cols in sorted(SPLIT_BUCKETS)]


def variant_for(op: RNNOperation, hidden: int, weights: str) -> Variant | None:
    """The smallest column bucket holding `hidden`, or None when H is beyond register capacity."""
    for cols in COLS[weights]:
        if hidden <= 32 * cols:
            return Variant(cell_of(op), cols, weights)
    return None
