"""Property cases: hypothesis draws random problems per op, within what the backend can express.

Shapes, depths, directions, lengths and states are drawn freely; magnitudes go well past the
~1/sqrt(H) of the fixed cases: input weights and inputs up to 16x and 100x, which saturates every
sigmoid/tanh, and for RELU recurrent weights doubled so outputs grow large (the tolerance is
relative). Recurrent weights of the bounded ops keep their scale: a chaotic recurrence amplifies
fp32 rounding without bound, which says nothing about a backend. Each property is one pytest item
per tier; hypothesis shrinks a failure to a small case and the failure message describes it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trtrnn.activations import Activation, default_activations
from trtrnn.backend import Backend
from trtrnn.conformance.apis import case_run
from trtrnn.conformance.cases import Case
from trtrnn.conformance.tiers import CaseRun, Status, TierResult, execution_unavailable
from trtrnn.enums import RNNOperation
from trtrnn.spec import Feature, RNNSpec

EXAMPLES = 25
QUICK_EXAMPLES = 3


@dataclass
class PropertyGroup:
    """The property of one op; its cases are drawn at test time."""

    op: RNNOperation
    examples: int = EXAMPLES
    source: str = "property"
    quick: bool = True
    backends: frozenset[str] | None = None

    @property
    def id(self) -> str:
        return f"property-{self.op.name}"

    def needed(self) -> frozenset[Feature]:
        return frozenset({Feature[self.op.name]})

    def refused_by(self, backend: Backend) -> str:
        """Why `backend` cannot run this op at all; each drawn example is checked in full when run."""
        return backend.inexpressible(self.needed())

    def describe(self) -> str:
        return f"{self.examples} hypothesis examples of {self.op.name}: random shapes, weights, magnitudes"


def property_groups(examples: int = EXAMPLES) -> list[PropertyGroup]:
    return [PropertyGroup(op, examples) for op in RNNOperation]


def problems(op: RNNOperation, unsupported: Mapping[Feature, str]) -> st.SearchStrategy[Case]:
    """Random cases of `op` using only features absent from `unsupported`."""

    def allowed(feature: Feature, yes: object, no: object) -> list[object]:
        return [no] if feature in unsupported else [no, yes]

    @st.composite
    def draw(d: st.DrawFn) -> Case:
        direction = d(st.sampled_from(allowed(Feature.BIDIRECTIONAL, "BIDIRECTION", "UNIDIRECTION")))
        layers = d(st.integers(1, 1 if Feature.STACKED in unsupported else 3))
        mode = d(st.sampled_from(allowed(Feature.SKIP_INPUT, "SKIP", "LINEAR")))
        hidden = d(st.integers(1, 12))
        data = hidden if mode == "SKIP" else d(st.integers(1, 10))
        count = d(st.sampled_from([n for n in (0, 1, 2) if not _needs_excluded(n, unsupported)]))
        lead = tuple(d(st.lists(st.integers(1, 3), min_size=count, max_size=count)))
        steps = d(st.integers(1, 6))
        kinds = ["none"] if Feature.SEQ_LENGTHS in unsupported else ["none", "full", "ragged"]
        lengths = d(st.sampled_from(kinds))
        states = d(st.sampled_from(allowed(Feature.HIDDEN_STATE, "some", "none")))
        if states == "some" and op == RNNOperation.LSTM and Feature.CELL_STATE in unsupported:
            states = "none"
        as_inputs = d(st.sampled_from(allowed(Feature.STATE_INPUTS, True, False)))
        w_factor = d(st.sampled_from([1.0, 4.0, 16.0]))
        x_scale = d(st.sampled_from([1.0, 10.0, 100.0]))
        r_factor = d(st.sampled_from([1.0, 2.0])) if op == RNNOperation.RELU else 1.0
        seed = d(st.integers(0, 2**16))
        extended = _extensions(d, op, direction, hidden, unsupported)
        if Feature.ZERO_LENGTHS not in unsupported and lengths == "ragged" and d(st.booleans()):
            lengths = "zeros"
        spec = RNNSpec.random(
            seed,
            op=op,
            hidden_size=hidden,
            max_seq_length=steps,
            data_length=data,
            num_layers=layers,
            direction=direction,
            input_mode=mode,
            batch_shape=lead,
            seq_lengths=lengths,
            states=states == "some",
            **extended,
        )
        _magnify(spec, w_factor, r_factor)
        tag = f"{op.name}-{direction[:3].lower()}-L{layers}-{mode}-B{lead}-T{steps}-E{data}-H{hidden}"
        if extended:
            tag += "-" + "-".join(sorted(extended))
        return Case(
            id=f"property-{tag}-len_{lengths}-states_{states}-w{w_factor:g}-x{x_scale:g}-r{r_factor:g}-s{seed}",
            spec=spec,
            x=spec.random_input(seed + 1, scale=x_scale),
            source="property",
            as_inputs=as_inputs,
            note=f"input weights x{w_factor:g}, recurrent x{r_factor:g}, inputs within +-{x_scale:g}",
        )

    return draw()


#: Bounded activations only: with the magnified weights an unbounded f or g (Relu, Elu, Softplus, Affine)
#: makes a chaotic recurrence that amplifies fp32 rounding without bound, which says nothing about a
#: backend. The fixed cases (extended.py) cover every function at moderate scales.
_BOUNDED = ("Sigmoid", "Tanh", "HardSigmoid", "ScaledTanh", "Softsign")


def _extensions(
    d: st.DrawFn, op: RNNOperation, direction: str, hidden: int, unsupported: Mapping[Feature, str]
) -> dict[str, object]:
    """RNNSpec.random options for the extensions (docs/semantics.md §2.1-2.4) the backend expresses."""

    def maybe(feature: Feature) -> bool:
        return feature not in unsupported and d(st.booleans())

    found: dict[str, object] = {}
    if op == RNNOperation.GRU and maybe(Feature.GRU_LBR0):
        found["linear_before_reset"] = False
    if op == RNNOperation.LSTM:
        if maybe(Feature.PEEPHOLES):
            found["peepholes"] = True
        if maybe(Feature.INPUT_FORGET):
            found["input_forget"] = True
        if hidden >= 2 and maybe(Feature.PROJECTION):
            found["proj_size"] = d(st.integers(1, hidden - 1))
    if maybe(Feature.CLIP):
        found["clip"] = d(st.sampled_from([0.25, 1.0, 3.0]))
    if direction == "UNIDIRECTION" and maybe(Feature.REVERSE):
        found["reverse"] = True
    if maybe(Feature.ACTIVATIONS):
        count = len(default_activations(op))
        name = st.sampled_from(_BOUNDED)
        found["activations"] = {
            0: tuple(Activation.of(n) for n in d(st.lists(name, min_size=count, max_size=count)))
        }
    return found


def _needs_excluded(count: int, unsupported: Mapping[Feature, str]) -> bool:
    if count == 0:
        return Feature.NO_LEADING_DIMS in unsupported
    if count >= 2:
        return Feature.MULTI_LEADING_DIMS in unsupported
    return False


def _magnify(spec: RNNSpec, w_factor: float, r_factor: float) -> None:
    for key in spec.weights:
        spec.weights[key] = (spec.weights[key] * (w_factor if key[2] else r_factor)).astype(np.float32)
    for key in spec.biases:
        spec.biases[key] = (spec.biases[key] * (w_factor if key[2] else r_factor)).astype(np.float32)


def run_property(backend: Backend, group: PropertyGroup, tier: str) -> TierResult:
    """Run `group.examples` drawn cases through `tier`; the first failure (shrunk) fails the item."""
    early = _gate(backend, group, tier)
    if early is not None:
        return early
    start = time.perf_counter()
    summary = TierResult(Status.PASS, max_abs=0.0, max_rel=0.0, engine_bytes=0)
    ran = 0

    @settings(
        max_examples=group.examples,
        deadline=None,
        database=None,
        derandomize=True,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(problems(group.op, backend.unsupported))
    def check(case: Case) -> None:
        nonlocal ran
        result = case_run(backend, case).run(tier)
        if result.status == Status.FAIL:
            raise PropertyFailure(result)
        if result.status != Status.PASS:  # not run for a reason every example shares: stop early
            raise PropertySkip(result)
        ran += 1
        summary.max_abs = max(summary.max_abs or 0.0, result.max_abs or 0.0)
        summary.max_rel = max(summary.max_rel or 0.0, result.max_rel or 0.0)
        summary.engine_bytes = max(summary.engine_bytes or 0, result.engine_bytes or 0)

    try:
        check()
    except PropertyFailure as failure:
        return failure.result
    except PropertySkip as skip:
        return skip.result
    summary.reason = f"{ran} examples"
    summary.seconds = time.perf_counter() - start
    if tier != "built":
        summary.engine_bytes = None
    return summary


def _gate(backend: Backend, group: PropertyGroup, tier: str) -> TierResult | None:
    """What holds for every example alike: backend availability, the op itself, GPU execution."""
    early = CaseRun(backend, group).gate()  # type: ignore[arg-type]  (gate() reads only refused_by())
    if early is None and tier == "executed":
        return execution_unavailable()
    return early


class PropertyFailure(AssertionError):
    def __init__(self, result: TierResult) -> None:
        super().__init__(result.detail or result.reason)
        self.result = result


class PropertySkip(Exception):
    def __init__(self, result: TierResult) -> None:
        super().__init__(result.reason)
        self.result = result
