"""What the suite runs: `Case` (one problem plus its oracle) and the sources of cases.

Sources: the seed's printed tables (`trtrnn.seed`), the generated matrix (`matrix.py`), hypothesis
properties (`properties.py`), onnxruntime-judged models, and cases plugins contribute through the
`conformance_cases(register)` hook. Expected values never come from a backend: they are the seed's
numbers, `trtrnn.reference` (the formula) or onnxruntime.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from trtrnn.conformance.tolerances import Tolerance, conditioned, tf32_tolerance, tolerance
from trtrnn.errors import BackendError
from trtrnn.spec import Feature, RNNSpec

if TYPE_CHECKING:
    import pluggy

    from trtrnn.backend import Backend
    from trtrnn.seed import SeedCase

Outputs = Mapping[str, np.ndarray]

#: Where cases come from, in report order.
SOURCES = ("seed", "matrix", "property", "onnx", "torch", "plugin")


@dataclass
class Case:
    """One conformance problem: a spec, its input, how the harness feeds it, and its oracle.

    `expected` maps output names ("output", "hidden", "cell") to arrays, or is a callable returning
    them (run lazily, at test time); None means `trtrnn.reference.forward(spec, x)`. `oracle` names
    where expected values come from, for the report. `backends` limits a case to some backends
    (None: every backend under test). `quick` puts it in the `--trtrnn-quick` subset. `tf32` builds
    the engine with BuilderFlag.TF32 (every other case clears it), evaluates with TF32 matmul operands
    and judges by the TF32 tolerance (tolerances.tf32_tolerance).
    """

    id: str
    spec: RNNSpec
    x: np.ndarray
    source: str = "plugin"
    as_inputs: bool = True
    dynamic_batch: bool = False
    precision: str = "fp32"
    expected: Outputs | Callable[[], Outputs] | None = None
    oracle: str = "trtrnn.reference"
    tolerance: Tolerance | None = None
    backends: frozenset[str] | None = None
    quick: bool = False
    note: str = ""
    tf32: bool = False

    def needed(self) -> frozenset[Feature]:
        """What a backend must express: the spec's features plus those the build options add."""
        return self.spec.features(as_inputs=self.as_inputs, dynamic_batch=self.dynamic_batch)

    def refused_by(self, backend: Backend) -> str:
        """Why `backend` cannot build this case (`Backend.refusal`, the CLI's check too); "" if it can."""
        return backend.refusal(
            self.spec, as_inputs=self.as_inputs, dynamic_batch=self.dynamic_batch, precision=self.precision
        )

    def judged_by(self) -> Tolerance:
        """The case's own tolerance, else the table's for its op and precision, conditioned on its
        magnitudes (tolerances.conditioned); a TF32 case's is derived from its own (tf32_tolerance)."""
        if self.tolerance is not None:
            return self.tolerance
        if self.tf32:
            return tf32_tolerance(self.spec, self.x)
        return conditioned(tolerance(self.spec.op, self.precision), self.spec, self.x)

    def expected_outputs(self) -> dict[str, np.ndarray]:
        """The oracle's outputs for this case (computed on first use, then kept)."""
        if callable(self.expected):
            self.expected = _as_outputs(self.expected())
        if self.expected is None:
            from trtrnn import reference

            spec, x = self.spec, self.x
            if self.precision != "fp32":  # the network holds the data rounded to its precision
                spec, x = rounded(spec, x, self.precision)
            with np.errstate(over="ignore"):  # exp overflow in a saturated sigmoid gives exactly 0 or 1
                self.expected = _as_outputs(reference.forward(spec, x))
        return dict(self.expected)

    def __repr__(self) -> str:  # arrays would make hypothesis' and pytest's reprs unreadable
        return f"Case({self.id!r}: {self.describe()})"

    def describe(self) -> str:
        """One line: the configuration in the user's words."""
        s = self.spec
        parts = [
            s.op.name,
            "bidirectional" if s.num_directions == 2 else "unidirectional",
            f"{s.num_layers} layer(s)",
            s.input_mode.name,
            f"B={s.batch_shape} T={s.max_seq_length} E={s.data_length} H={s.hidden_size}",
        ]
        if s.seq_lengths is not None:
            parts.append(f"seq_lengths={np.asarray(s.seq_lengths).tolist()}")
        states = [n for n in ("hidden_state", "cell_state") if getattr(s, n) is not None]
        if states:
            how = "network inputs" if self.as_inputs or self.dynamic_batch else "constants"
            parts.append(f"{'+'.join(states)} as {how}")
        parts += _extensions(s)
        if self.dynamic_batch:
            parts.append("dynamic batch")
        if self.precision != "fp32":
            parts.append(self.precision)
        if self.tf32:
            parts.append("TF32")
        return ", ".join(parts)


def _extensions(s: RNNSpec) -> list[str]:
    """The extensions a spec uses (docs/semantics.md §2.1-2.4), in the user's words."""
    parts = []
    if s.op.name == "GRU" and not s.linear_before_reset:
        parts.append("linear_before_reset=0")
    if s.peepholes:
        parts.append("peepholes")
    if s.input_forget:
        parts.append("input_forget")
    if s.clip is not None:
        parts.append(f"clip={s.clip:g}")
    if s.has_custom_activations():
        acts = "; ".join(f"{i}: {', '.join(map(str, a))}" for i, a in sorted(s.activations.items()))
        parts.append(f"activations {{{acts}}}")
    if s.reverse:
        parts.append("reverse")
    if s.proj_size:
        parts.append(f"proj_size={s.proj_size}")
    return parts


def rounded(spec: RNNSpec, x: np.ndarray, precision: str) -> tuple[RNNSpec, np.ndarray]:
    """The spec's weights, biases, states and the input rounded to `precision`, kept as float32: what a
    network in that precision holds, so the oracle judges the arithmetic and not the data's rounding."""
    from trtrnn.network import float_dtype

    dtype = float_dtype(precision)

    def cut(value: object) -> np.ndarray | None:
        return None if value is None else np.asarray(value).astype(dtype).astype(np.float32)

    spec = spec.replace(
        weights={k: cut(v) for k, v in spec.weights.items()},
        biases={k: cut(v) for k, v in spec.biases.items()},
        peepholes={k: cut(v) for k, v in spec.peepholes.items()},
        projections={k: cut(v) for k, v in spec.projections.items()},
        hidden_state=cut(spec.hidden_state),
        cell_state=cut(spec.cell_state),
    )
    return spec, cut(x)


def _as_outputs(result: object) -> dict[str, np.ndarray]:
    """Accept an RNNResult-like object (`as_dict()`) or a mapping of output arrays."""
    if hasattr(result, "as_dict"):
        result = result.as_dict()
    return {str(k): np.asarray(v) for k, v in dict(result).items()}  # type: ignore[call-overload]


def seed_cases() -> list[Case]:
    """Every printed table of the seed, judged by the seed's own numbers (trtrnn.seed)."""
    from trtrnn.seed import SEED_CASES

    return [seed_case(seed) for seed in SEED_CASES.values()]


def seed_case(seed: SeedCase) -> Case:
    """One seed example as a case: fed like the seed's programs (seq_lengths as a network input,
    initial states as constants), judged by its printed table at its printed precision."""
    return Case(
        id=f"seed-{seed.name}",
        spec=seed.spec,
        x=np.asarray(seed.x, dtype=np.float32),
        source="seed",
        as_inputs=seed.spec.seq_lengths is not None,
        expected=_as_outputs(seed.expected),
        oracle="the seed's printed table",
        tolerance=Tolerance(rtol=seed.rtol, atol=SEED_ATOL),
        quick=True,
        note=seed.notes,
    )


#: The seed prints 6 decimals: half a unit of the last printed digit.
SEED_ATOL = 5e-7


#: (direction, num_layers, seq_lengths kind, states, input mode, leading dims) of the onnxruntime-
#: judged cases, each for every op: both directions, stacking, ragged lengths incl. 1, initial
#: states, SKIP, zero to two leading dims (onnx_io flattens them into ONNX's one batch dim).
ONNX_CONFIGS = (
    ("UNIDIRECTION", 1, "ragged", True, "LINEAR", (3,)),
    ("BIDIRECTION", 2, "ragged", True, "LINEAR", (2, 2)),
    ("BIDIRECTION", 1, "none", False, "SKIP", ()),
    ("UNIDIRECTION", 3, "full", True, "SKIP", (3,)),
)


def onnx_cases() -> list[Case]:
    """Random problems whose expected outputs come from onnxruntime on the equivalent ONNX model."""
    cases = []
    configs = [(op, *config) for op in ("RELU", "TANH", "LSTM", "GRU") for config in ONNX_CONFIGS]
    for index, (op, direction, layers, lengths, states, mode, lead) in enumerate(configs):
        spec = RNNSpec.random(
            1000 + index,
            op=op,
            hidden_size=8,
            max_seq_length=5,
            data_length=8 if mode == "SKIP" else 5,
            num_layers=layers,
            direction=direction,
            input_mode=mode,
            batch_shape=lead,
            seq_lengths=lengths,
            states=states,
        )
        x = spec.random_input(2000 + index)
        tag = f"{'bi' if direction == 'BIDIRECTION' else 'uni'}-L{layers}-len_{lengths}"
        tag += f"{'-states' if states else ''}-{mode}-lead{len(lead)}"
        cases.append(
            Case(
                id=f"onnx-{op}-{tag}",
                spec=spec,
                x=x,
                source="onnx",
                expected=_onnxruntime(spec, x),
                oracle="onnxruntime",
                quick=index % len(ONNX_CONFIGS) == 0,
            )
        )
    return cases


def _onnxruntime(spec: RNNSpec, x: np.ndarray) -> Callable[[], Outputs]:
    def run() -> Outputs:
        from trtrnn.onnx_io import onnxruntime_forward

        return _as_outputs(onnxruntime_forward(spec, x))

    return run


#: Oracles that can judge any spec: name -> (spec, x) -> the lazily computed expected outputs. A case
#: judged by one of these (or by the reference, `expected=None`) can be re-judged after its spec changes.
SPEC_ORACLES: dict[str, Callable[[RNNSpec, np.ndarray], Callable[[], Outputs]]] = {
    "onnxruntime": _onnxruntime,
}


def plugin_cases(pm: pluggy.PluginManager | None = None) -> list[Case]:
    """Cases plugins contribute through the `conformance_cases(register)` hook: those of `pm`, else of
    the registry's one plugin manager (so `registry.limited_to` narrows cases as it narrows backends)."""
    from trtrnn import registry

    pm = pm or registry.manager()
    found: list[Case] = []

    def register(case: Case) -> None:
        if not isinstance(case, Case):
            raise BackendError(
                f"conformance_cases register(): expected a trtrnn.conformance.Case; got {type(case).__name__}"
            )
        case.source = "plugin"
        found.append(case)

    pm.hook.conformance_cases(register=register)
    return found
