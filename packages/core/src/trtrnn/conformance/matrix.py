"""The generated matrix: a covering design over every factor of the semantics, plus edge cases.

Running the full product (4 ops x 2 directions x 3 depths x 3 length kinds x 3 state kinds x 2 input
modes x 3 leading-dim counts x 4 sizes = 5184 builds) would take hours on a small machine, so the
rows are a covering design of strength 3: every combination of levels of any three factors appears
in some row (72 rows). A bug that needs up to three factors to show is caught; docs/conformance.md
lists what is and is not covered.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence

import numpy as np

from trtrnn.conformance.cases import Case
from trtrnn.spec import RNNSpec

Level = object
Row = dict[str, Level]
Tuple = frozenset[tuple[str, Level]]

FACTORS: dict[str, tuple[Level, ...]] = {
    "op": ("RELU", "TANH", "LSTM", "GRU"),
    "direction": ("UNIDIRECTION", "BIDIRECTION"),
    "num_layers": (1, 2, 3),
    "seq_lengths": ("none", "full", "ragged"),
    "states": ("none", "constant", "input"),
    "input_mode": ("LINEAR", "SKIP"),
    "leading_dims": (0, 1, 2),
    "size": ("tiny", "small", "medium", "large"),
}
#: Every combination of levels of any STRENGTH factors appears in some row.
STRENGTH = 3

#: size level -> (hidden_size H, data_length E for LINEAR, max_seq_length T). SKIP uses E = H.
#: Tiny with no leading dims is one row of H = 3 over T = 6: the shape that hung TensorRT's builder
#: (issue 15) until rnn-loop padded small hidden sizes; every backend must build it in seconds.
SIZES: dict[str, tuple[int, int, int]] = {
    "tiny": (3, 2, 6),
    "small": (8, 5, 5),
    "medium": (32, 20, 6),
    "large": (256, 256, 4),
}
LEADING_DIMS: dict[int, tuple[int, ...]] = {0: (), 1: (3,), 2: (2, 2)}


def required_tuples(factors: Mapping[str, Sequence[Level]], strength: int = STRENGTH) -> set[Tuple]:
    """Every combination of levels of every `strength` factors."""
    need: set[Tuple] = set()
    for names in itertools.combinations(list(factors), strength):
        for levels in itertools.product(*[factors[n] for n in names]):
            need.add(frozenset(zip(names, levels)))
    return need


def _tuples_of(row: Row, strength: int) -> set[Tuple]:
    """The `strength`-factor tuples a (possibly partial) row covers."""
    return {frozenset(c) for c in itertools.combinations(row.items(), strength)}


def covering_rows(
    factors: Mapping[str, Sequence[Level]] = FACTORS,
    strength: int = STRENGTH,
    *,
    seed: int = 0,
    candidates: int = 10,
) -> list[Row]:
    """A small deterministic set of rows covering `required_tuples` (greedy, AETG-style): each row
    starts from an uncovered tuple and fills the other factors, in a random order, with the level
    covering most uncovered tuples; the best of `candidates` such rows is kept."""
    need = required_tuples(factors, strength)
    rng = random.Random(seed)
    rows: list[Row] = []
    while need:
        start = min(need, key=lambda t: sorted(map(repr, t)))  # deterministic anchor
        best: Row = {}
        best_gain = -1
        for _ in range(candidates):
            row: Row = dict(start)
            order = [n for n in factors if n not in row]
            rng.shuffle(order)
            for name in order:

                def gain(value: Level, name: str = name, row: Row = row, need: set[Tuple] = need) -> int:
                    return len(_tuples_of({**row, name: value}, strength) & need)

                row[name] = max(factors[name], key=gain)
            covered = len(_tuples_of(row, strength) & need)
            if covered > best_gain:
                best, best_gain = row, covered
        rows.append({n: best[n] for n in factors})
        need -= _tuples_of(best, strength)
    return rows


def _spec(seed: int, row: Row) -> RNNSpec:
    hidden, data, steps = SIZES[str(row["size"])]
    return RNNSpec.random(
        seed,
        op=str(row["op"]),
        hidden_size=hidden,
        max_seq_length=steps,
        data_length=hidden if row["input_mode"] == "SKIP" else data,
        num_layers=int(row["num_layers"]),  # type: ignore[call-overload]
        direction=str(row["direction"]),
        input_mode=str(row["input_mode"]),
        batch_shape=LEADING_DIMS[int(row["leading_dims"])],  # type: ignore[call-overload]
        seq_lengths=str(row["seq_lengths"]),
        states=row["states"] != "none",
    )


def row_id(index: int, row: Row) -> str:
    tag = "bi" if row["direction"] == "BIDIRECTION" else "uni"
    return (
        f"m{index:02d}-{row['op']}-{tag}-L{row['num_layers']}-len_{row['seq_lengths']}-"
        f"states_{row['states']}-{row['input_mode']}-lead{row['leading_dims']}-{row['size']}"
    )


def matrix_cases() -> list[Case]:
    """The covering rows, then edge cases (T=1, H=1), dynamic batch, fp16 and TF32 variants."""
    cases = []
    seen_pairs: set[tuple[Level, Level]] = set()
    for index, row in enumerate(covering_rows()):
        spec = _spec(index, row)
        pair = (row["op"], row["direction"])
        cases.append(
            Case(
                id=row_id(index, row),
                spec=spec,
                x=spec.random_input(10_000 + index),
                source="matrix",
                as_inputs=row["states"] != "constant",
                quick=pair not in seen_pairs,
            )
        )
        seen_pairs.add(pair)
    return cases + edge_cases() + dynamic_cases() + fp16_cases() + tf32_cases()


OPS = FACTORS["op"]


def _per_op(prefix: str, seed: int, spec_options: dict[str, object], **case_options: object) -> list[Case]:
    """One case per op: `<prefix with {op}>`, RNNSpec.random(seed + i, op, **spec_options)."""
    cases = []
    for index, op in enumerate(OPS):
        spec = RNNSpec.random(seed + index, op=str(op), **spec_options)  # type: ignore[arg-type]
        x = spec.random_input(seed + 100 + index)
        cases.append(Case(prefix.format(op=op), spec, x, "matrix", **case_options))  # type: ignore[arg-type]
    return cases


def edge_cases() -> list[Case]:
    """Shapes and values at the limits: one time step (every length is 1), a hidden size of 1, a single
    sequence shorter than T, and ReLU outputs far above 6 (a clipped ReLU6 must fail)."""
    one_step = dict(hidden_size=4, max_seq_length=1, data_length=3, batch_shape=(2,), states=True)
    tiny = dict(hidden_size=1, max_seq_length=5, data_length=1, num_layers=2, batch_shape=(8,))
    both = dict(seq_lengths="ragged", direction="BIDIRECTION")
    cases = _per_op("edge-{op}-T1-bi", 200, {**one_step, **both})
    cases += _per_op("edge-{op}-H1-E1-L2-bi", 210, {**tiny, **both})
    return cases + one_short_sequence_cases() + [relu_above_six_case()]


def one_short_sequence_cases() -> list[Case]:
    """One sequence (batch 1) of length T - 2, stacked and bidirectional with states: a backend that
    reads lengths only when there are several rows, or starts the backward direction at T - 1, fails."""
    options = dict(
        hidden_size=5, max_seq_length=6, data_length=4, num_layers=2, batch_shape=(1,), states=True
    )
    cases = _per_op("edge-{op}-one-short-sequence-bi", 230, {**options, "direction": "BIDIRECTION"})
    for case in cases:
        case.spec.seq_lengths = np.array([4], np.int32)
        case.quick = case.spec.op.name == "LSTM"
    return cases


def relu_above_six_case() -> Case:
    """RELU with inputs and weights large enough that most outputs exceed 6 (checked here against the
    reference, so the case cannot silently stop testing it): ReLU is unbounded, ReLU6 is not ReLU."""
    from trtrnn.reference import forward

    spec = RNNSpec.random(240, op="RELU", hidden_size=8, max_seq_length=5, data_length=5, num_layers=2,
                          batch_shape=(2,), states=True, scale=0.7)  # fmt: skip
    x = spec.random_input(241, scale=8.0)
    peak = float(forward(spec, x).output.max())
    if peak <= 6.0:
        raise AssertionError(f"edge-RELU-above-6: the reference peaks at {peak:.2f}; the case needs > 6")
    return Case(
        "edge-RELU-above-6", spec, x, "matrix", quick=True, note=f"reference output peaks at {peak:.1f}"
    )


def dynamic_cases() -> list[Case]:
    """Dynamic first leading dim (-1 with a 1..B profile); the suite also runs a batch of 1."""
    cases = []
    for index, op in enumerate(OPS):
        lead = (3,) if index % 2 == 0 else (2, 3)
        direction = "BIDIRECTION" if index < 2 else "UNIDIRECTION"
        spec = RNNSpec.random(
            400 + index, op=str(op), hidden_size=8, max_seq_length=4, data_length=5, direction=direction,
            batch_shape=lead, seq_lengths="ragged", states=True,
        )  # fmt: skip
        tag = f"{'bi' if direction == 'BIDIRECTION' else 'uni'}-lead{len(lead)}"
        x = spec.random_input(500 + index)
        cases.append(Case(f"dyn-{op}-{tag}", spec, x, "matrix", dynamic_batch=True, quick=index == 2))
    return cases


def fp16_cases() -> list[Case]:
    """float16 networks (input, states, weights), judged with the fp16 tolerances against the reference
    on the fp16-rounded data (cases.rounded): every op stacked and bidirectional with ragged lengths and
    states as inputs, and every op unidirectional with a dynamic batch and no states (the backend makes
    float16 zeros at run time: TensorRT's LINSPACE fill has no float16 output)."""
    options = dict(hidden_size=16, max_seq_length=5, data_length=8, num_layers=2, batch_shape=(3,))
    options.update(direction="BIDIRECTION", seq_lengths="ragged", states=True)
    dynamic = dict(hidden_size=8, max_seq_length=4, data_length=5, batch_shape=(2, 3), seq_lengths="ragged")
    cases = _per_op("fp16-{op}-bi-L2", 600, options, precision="fp16")
    cases[OPS.index("LSTM")].quick = True  # the quick subset's fp16 case
    return cases + _per_op("fp16-{op}-uni-dyn-lead2", 620, dynamic, precision="fp16", dynamic_batch=True)


def tf32_cases() -> list[Case]:
    """float32 networks built with BuilderFlag.TF32 and evaluated with TF32 matmul operands, judged by
    the derived TF32 tolerance (tolerances.tf32_tolerance): every op stacked and bidirectional with
    ragged lengths and states as inputs (medium size, T = 6), and every op at the large size (E = H =
    256: the longest contraction, 512) unidirectional over T = 4."""
    medium = dict(hidden_size=32, max_seq_length=6, data_length=20, num_layers=2, batch_shape=(3,))
    medium.update(direction="BIDIRECTION", seq_lengths="ragged", states=True)
    large = dict(hidden_size=256, max_seq_length=4, data_length=256, batch_shape=(2,))
    return _per_op("tf32-{op}-bi-L2-medium", 640, medium, tf32=True) + _per_op(
        "tf32-{op}-uni-large", 660, large, tf32=True
    )


def slice_batch(case: Case, size: int = 1) -> tuple[RNNSpec, dict[str, np.ndarray]]:
    """The first `size` items of the first leading dim: the spec and the arrays to feed."""
    s = case.spec
    cut = {
        name: None if getattr(s, name) is None else np.asarray(getattr(s, name))[:size]
        for name in ("seq_lengths", "hidden_state", "cell_state")
    }
    spec = s.replace(batch_shape=(size, *s.batch_shape[1:]), **cut)
    return spec.validate(), {"input": case.x[:size], **{k: v for k, v in cut.items() if v is not None}}
