"""Random problems over the ONNX / PyTorch extensions (docs/semantics.md §2.1-2.4).

One generator that the reference's onnxruntime tests, the importer round trips and the conformance
families share, so "the extended space" means the same thing everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trtrnn.activations import ONNX_ACTIVATIONS, Activation, default_activations
from trtrnn.enums import RNNOperation
from trtrnn.spec import RNNSpec

if TYPE_CHECKING:
    from trtrnn.conformance.cases import Case


def random_activation(rng: np.random.Generator) -> Activation:
    """One of ONNX's eleven functions with random parameters (alpha in [0.1, 1.5], beta in [-0.5, 0.5])."""
    name = sorted(ONNX_ACTIVATIONS)[rng.integers(len(ONNX_ACTIVATIONS))]
    info = ONNX_ACTIVATIONS[name]
    alpha = float(rng.uniform(0.1, 1.5)) if info.takes_alpha else None
    beta = float(rng.uniform(-0.5, 0.5)) if info.takes_beta else None
    return Activation.of((name, alpha, beta))


def random_activations(rng: np.random.Generator, op: RNNOperation | str, layer_indices: int) -> dict:
    """Random functions for most layer indices (so usually a different set per direction)."""
    count = len(default_activations(RNNOperation[op] if isinstance(op, str) else op))
    return {
        i: tuple(random_activation(rng) for _ in range(count))
        for i in range(layer_indices)
        if rng.random() < 0.8
    }


def extended_specs(count: int, seed: int = 12, *, batch_shape: tuple[int, ...] = (4,)) -> list[RNNSpec]:
    """`count` specs cycling through op x direction x depth x length kind, each with random extensions:
    activations (n % 5 != 0), clip (half), GRU lbr 0/1, LSTM peepholes / input_forget, reverse (some
    unidirectional ones), zero lengths (a third). No projection: it has no ONNX form."""
    rng, specs = np.random.default_rng(seed), []
    for n in range(count):
        op = ("RELU", "TANH", "LSTM", "GRU")[n % 4]
        direction = ("UNIDIRECTION", "BIDIRECTION")[(n // 4) % 2]
        layers, k = 1 + (n // 8) % 2, 2 if direction == "BIDIRECTION" else 1
        kw: dict = {"op": op, "direction": direction, "num_layers": layers, "batch_shape": batch_shape}
        kw.update(seq_lengths=("none", "ragged", "zeros")[(n // 16) % 3], states=bool(n % 3))
        if n % 5:
            kw["activations"] = random_activations(rng, op, layers * k)
        if rng.random() < 0.5:
            kw["clip"] = float(rng.uniform(0.3, 2.0))
        if op == "GRU":
            kw["linear_before_reset"] = bool(rng.random() < 0.5)
        if op == "LSTM":
            kw.update(peepholes=bool(rng.random() < 0.6), input_forget=bool(rng.random() < 0.4))
        if k == 1 and rng.random() < 0.4:
            kw["reverse"] = True
        specs.append(RNNSpec.random(seed * 1000 + n, max_seq_length=5, **kw))
    return specs


# ---- conformance families ------------------------------------------------------------------------
#: Fixed sizes of the families: batch x H >= 8 keeps the builder fast (SEMANTICS §10).
_SIZE = {"hidden_size": 6, "max_seq_length": 5, "data_length": 4, "batch_shape": (3,)}
#: Activations with their parameters given explicitly (onnxruntime's defaults differ from ONNX's).
_FORWARD = {
    "RELU": (("LeakyRelu", 0.2),),
    "TANH": (("ScaledTanh", 0.8, 1.3),),
    "GRU": (("HardSigmoid", 0.25, 0.45), ("Softsign",)),
    "LSTM": (("HardSigmoid", 0.3, 0.5), ("Elu", 0.9), ("Softsign",)),
}
_BACKWARD = {
    "RELU": (("ThresholdedRelu", 0.1),),
    "TANH": (("Affine", 0.7, 0.1),),
    "GRU": (("Sigmoid",), ("ScaledTanh", 1.2, 0.6)),
    "LSTM": (("Sigmoid",), ("Softplus",), ("LeakyRelu", 0.3)),
}
OPS = ("RELU", "TANH", "LSTM", "GRU")


def extended_cases() -> list[Case]:
    """Every extension alone and combined (docs/semantics.md §2.1-2.4), judged by onnxruntime where
    its CPU provider implements the attribute (all of ONNX's), by PyTorch's LSTMP outputs (committed
    fixture) for projections, else by the reference (itself checked against both in the tests)."""
    return _alone() + _combined() + torch_cases() + _reference_judged()


def _case(name: str, seed: int, oracle: str, quick: bool = False, **kw: object) -> Case:
    from trtrnn.conformance.cases import SPEC_ORACLES, Case

    options = {**_SIZE, **kw}
    case_options = {k: options.pop(k) for k in ("precision", "dynamic_batch", "as_inputs") if k in options}
    spec = RNNSpec.random(seed, **options)  # type: ignore[arg-type]
    x = spec.random_input(seed + 50)
    if oracle == "onnxruntime":
        return Case(name, spec, x, "onnx", expected=SPEC_ORACLES[oracle](spec, x), oracle=oracle, quick=quick)
    return Case(name, spec, x, "matrix", quick=quick, **case_options)  # type: ignore[arg-type]


def _alone() -> list[Case]:
    """One family per extension, nothing else extended (onnxruntime judges every one)."""
    ort = "onnxruntime"
    cases = [
        _case("ext-GRU-lbr0-uni", 3000, ort, quick=True, op="GRU", linear_before_reset=False),
        _case("ext-GRU-lbr0-bi", 3001, ort, op="GRU", linear_before_reset=False, direction="BIDIRECTION"),
        _case("ext-LSTM-peepholes-uni", 3002, ort, quick=True, op="LSTM", peepholes=True),
        _case("ext-LSTM-peepholes-bi", 3003, ort, op="LSTM", peepholes=True, direction="BIDIRECTION"),
        _case("ext-LSTM-input_forget", 3004, ort, op="LSTM", input_forget=True),
    ]
    for i, op in enumerate(OPS):
        cases += [
            _case(f"ext-{op}-clip", 3010 + i, ort, op=op, clip=0.6, scale=1.5),
            _case(f"ext-{op}-activations", 3020 + i, ort, op=op, activations={0: _FORWARD[op]}),
            _case(f"ext-{op}-reverse", 3030 + i, ort, op=op, reverse=True, seq_lengths="ragged"),
            _case(f"ext-{op}-zero_lengths", 3040 + i, ort, op=op, seq_lengths="zeros", states=True),
        ]
    return cases


def _combined() -> list[Case]:
    """Extensions together: bidirectional with different activations per direction, clip, stacked,
    ragged lengths with zeros and initial states; LSTM with all of its own; reverse GRU lbr=0."""
    ort, cases = "onnxruntime", []
    for i, op in enumerate(OPS):
        acts = {0: _FORWARD[op], 1: _BACKWARD[op], 2: _BACKWARD[op], 3: _FORWARD[op]}
        cases.append(
            _case(
                f"ext-{op}-bi-L2-acts_per_direction-clip-zero_lengths-states",
                3100 + i,
                ort,
                quick=op == "LSTM",
                op=op,
                direction="BIDIRECTION",
                num_layers=2,
                activations=acts,
                clip=1.2,
                seq_lengths="zeros",
                states=True,
                linear_before_reset=op != "GRU",
            )
        )
    cases.append(
        _case(
            "ext-LSTM-bi-L2-peepholes-input_forget-clip-acts-zero_lengths",
            3110,
            ort,
            op="LSTM",
            direction="BIDIRECTION",
            num_layers=2,
            peepholes=True,
            input_forget=True,
            clip=0.9,
            activations={1: _BACKWARD["LSTM"], 2: _FORWARD["LSTM"]},
            seq_lengths="zeros",
            states=True,
        )
    )
    cases.append(
        _case(
            "ext-GRU-reverse-lbr0-acts-clip-L3",
            3111,
            ort,
            op="GRU",
            reverse=True,
            num_layers=3,
            linear_before_reset=False,
            activations={1: _FORWARD["GRU"]},
            clip=0.8,
            seq_lengths="ragged",
        )
    )
    return cases


def _reference_judged() -> list[Case]:
    """Where neither onnxruntime nor PyTorch can judge: LSTMP with zero lengths or peepholes (ONNX has
    no projection, PyTorch no peepholes and no empty sequence), fp16 and dynamic-batch networks."""
    lstmp = {"op": "LSTM", "proj_size": 2, "direction": "BIDIRECTION", "num_layers": 2, "states": True}
    return [
        _case(
            "ext-LSTMP-bi-L2-zero_lengths-peepholes-clip",
            3200,
            "reference",
            quick=True,
            seq_lengths="zeros",
            peepholes=True,
            clip=1.5,
            **lstmp,
        ),
        _case("ext-LSTMP-bi-L2-fp16", 3201, "reference", precision="fp16", seq_lengths="ragged", **lstmp),
        _case(
            "ext-LSTM-peepholes-acts-fp16",
            3202,
            "reference",
            precision="fp16",
            op="LSTM",
            peepholes=True,
            activations={0: _FORWARD["LSTM"]},
            seq_lengths="zeros",
            states=True,
        ),
        _case(
            "ext-GRU-lbr0-bi-acts-fp16",
            3203,
            "reference",
            precision="fp16",
            op="GRU",
            linear_before_reset=False,
            direction="BIDIRECTION",
            activations={1: _BACKWARD["GRU"]},
        ),
        _case(
            "ext-LSTMP-dyn-zero_lengths",
            3204,
            "reference",
            dynamic_batch=True,
            op="LSTM",
            proj_size=3,
            batch_shape=(2, 3),
            seq_lengths="zeros",
            states=True,
            peepholes=True,
        ),
    ]


TORCH_FIXTURE = Path(__file__).with_name("torch_lstmp.npz")


def torch_cases() -> list[Case]:
    """PyTorch's own LSTMP outputs (torch 2.13.0, committed by tests/fixtures/make_torch_fixture.py):
    stacked and bidirectional projections with initial states and packed ragged lengths."""
    from trtrnn.conformance.cases import Case
    from trtrnn.importers import from_torch, from_torch_layout

    cases = []
    with np.load(TORCH_FIXTURE, allow_pickle=False) as data:
        names = sorted({key.split("/", 1)[0] for key in data.files if "/" in key})
        arrays = {
            name: {k.split("/", 1)[1]: data[k] for k in data.files if k.startswith(name + "/")}
            for name in names
        }
        version = str(data["torch_version"])
    for index, (name, case) in enumerate(arrays.items()):
        config = json.loads(str(case["config"]))
        first = config["batch_first"]
        x, h0, c0 = from_torch_layout(case["x"], case["h0"], case["c0"], batch_first=first)
        state = {k[3:]: v for k, v in case.items() if k.startswith("sd/")}
        spec = from_torch(state, max_seq_length=x.shape[1], batch_shape=(x.shape[0],), batch_first=first)
        lengths = case.get("lengths")
        spec = spec.replace(hidden_state=h0, cell_state=c0, seq_lengths=lengths).validate()
        output = case["output"] if first else case["output"].transpose(1, 0, 2)
        expected = {
            "output": output,
            "hidden": case["h_n"].transpose(1, 0, 2),
            "cell": case["c_n"].transpose(1, 0, 2),
        }
        cases.append(
            Case(
                f"torch-{name.replace('lstmp', 'LSTMP')}",
                spec,
                x,
                "torch",
                expected=expected,
                oracle=f"PyTorch {version}",
                quick=index == 0,
                note=f"torch.nn.LSTM {config}",
            )
        )
    return cases
