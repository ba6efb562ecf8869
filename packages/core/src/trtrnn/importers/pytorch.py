"""PyTorch `nn.RNN` / `nn.LSTM` / `nn.GRU` → `RNNSpec`, from a module or a plain state dict.

PyTorch stacks each layer's gates in `weight_ih_l{k}[_reverse]` `[G*H, in]` and `weight_hh_l{k}` `[G*H, H]`,
chunks in the order LSTM i, f, g, o and GRU r, z, n; `bias_ih` / `bias_hh` are TensorRT's Wb / Rb.
PyTorch's GRU applies the reset gate after the recurrent matmul (`linear_before_reset=1`), which is
TensorRT's GRU, so every supported module maps exactly. Layer `k` direction `d` is PyTorch's
`h_n[k*D + d]`, the same layer index trtrnn uses.

LSTM with `proj_size > 0` (LSTMP) imports as a projection (docs/semantics.md §2.3): `weight_hr_l{k}`
`[P, H]` becomes `projections[l]`, and `weight_hh` is `[4H, P]`.

Decisions: `bias=False` modules import with zero biases (PyTorch adds no bias, zero is the same
function); `dropout` is ignored (it acts only in training, between layers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from trtrnn.enums import RNNDirection, RNNGateType, RNNOperation
from trtrnn.errors import ShapeError, SpecError
from trtrnn.spec import RNNSpec

G = RNNGateType
#: PyTorch's chunk order inside a stacked weight, as TensorRT gates.
TORCH_GATES: dict[RNNOperation, tuple[RNNGateType, ...]] = {
    RNNOperation.RELU: (G.INPUT,),
    RNNOperation.TANH: (G.INPUT,),
    RNNOperation.LSTM: (G.INPUT, G.FORGET, G.CELL, G.OUTPUT),
    RNNOperation.GRU: (G.RESET, G.UPDATE, G.HIDDEN),
}
#: `module.mode` of torch.nn.RNNBase → op.
MODES = {
    "RNN_TANH": RNNOperation.TANH,
    "RNN_RELU": RNNOperation.RELU,
    "LSTM": RNNOperation.LSTM,
    "GRU": RNNOperation.GRU,
}
_KEY = re.compile(r"^(weight|bias)_(ih|hh|hr)_l(\d+)(_reverse)?$")


def from_torch(
    module_or_state_dict: Any,
    *,
    max_seq_length: int,
    batch_shape: tuple[int, ...] = (),
    mode: str | None = None,
    hidden_size: int | None = None,
    num_layers: int | None = None,
    bidirectional: bool | None = None,
    nonlinearity: str | None = None,
    batch_first: bool | None = None,
) -> RNNSpec:
    """An `RNNSpec` equal to a PyTorch RNN/LSTM/GRU (weights copied as float32).

    A module (duck-typed: `state_dict()` plus `mode`, `hidden_size`, ... attributes) brings its own
    configuration; for a state dict of arrays it is read off the weight shapes, with `mode` ("LSTM",
    "GRU", "RNN_TANH", "RNN_RELU" or "RNN" + `nonlinearity`) needed only to tell RNN from the
    others when ambiguous. Explicit arguments are checked against what the weights say.
    `batch_first` states the layout your data uses; a module with the other layout is refused, so
    the conversion in `from_torch_layout` cannot silently go wrong. The spec has no lengths or
    initial states: set them from `from_torch_layout`.
    """
    module_config: dict[str, Any] = {}
    if hasattr(module_or_state_dict, "state_dict") and callable(module_or_state_dict.state_dict):
        module = module_or_state_dict
        state = module.state_dict()
        for name in (
            "mode",
            "hidden_size",
            "num_layers",
            "bidirectional",
            "batch_first",
            "proj_size",
            "bias",
        ):
            if hasattr(module, name):
                module_config[name] = getattr(module, name)
    elif isinstance(module_or_state_dict, Mapping):
        state = module_or_state_dict
    else:
        raise SpecError(
            "from_torch: expected an nn.RNN/nn.LSTM/nn.GRU module or a state dict of arrays; "
            f"got {type(module_or_state_dict).__name__}"
        )
    arrays = {str(k): _to_numpy(k, v) for k, v in state.items()}

    if (
        batch_first is not None
        and "batch_first" in module_config
        and bool(module_config["batch_first"]) != batch_first
    ):
        raise SpecError(
            f"from_torch: batch_first={batch_first} but the module has "
            f"batch_first={module_config['batch_first']}; pass the layout your data actually uses"
        )

    parsed = _parse_keys(arrays)
    layers = sorted({k for (_, _, k, _) in parsed})
    if not layers or "weight_hh_l0" not in arrays:
        raise SpecError(
            f"from_torch: no weight_hh_l0 in the state dict; expected PyTorch RNN keys like weight_ih_l0, "
            f"weight_hh_l0, bias_ih_l0, bias_hh_l0; got {sorted(arrays)[:6]}"
        )
    if layers != list(range(len(layers))):
        raise SpecError(f"from_torch: layer numbers {layers}; expected 0..{len(layers) - 1} without gaps")
    found_layers = len(layers)
    found_bi = any(reverse for (_, _, _, reverse) in parsed)
    rows, width = arrays["weight_hh_l0"].shape if arrays["weight_hh_l0"].ndim == 2 else (0, 0)
    found_proj = int(arrays["weight_hr_l0"].shape[0]) if "weight_hr_l0" in arrays else 0
    if found_proj and width != found_proj:  # LSTMP: weight_hh is [4H, P], weight_hr [P, H]
        raise SpecError(
            f"from_torch: weight_hr_l0 {arrays['weight_hr_l0'].shape} (a projection) belongs to an LSTM "
            "whose weight_hh_l0 is (4*hidden_size, proj_size); got weight_hh_l0 "
            f"{arrays['weight_hh_l0'].shape}"
        )
    found_h = rows // 4 if found_proj else width
    if found_h == 0 or rows % found_h:
        raise ShapeError(
            f"weight_hh_l0: shape {arrays['weight_hh_l0'].shape}; expected (G*H, H) with G in 1, 3, 4"
        )

    op = _op(mode if mode is not None else module_config.get("mode"), nonlinearity, rows // found_h)
    _agree("hidden_size", hidden_size, found_h, module_config)
    _agree("num_layers", num_layers, found_layers, module_config)
    _agree("bidirectional", bidirectional, found_bi, module_config)
    _agree("proj_size", None, found_proj, module_config)

    spec = RNNSpec(
        op=op,
        hidden_size=found_h,
        max_seq_length=max_seq_length,
        data_length=_data_length(arrays),
        num_layers=found_layers,
        direction=RNNDirection.BIDIRECTION if found_bi else RNNDirection.UNIDIRECTION,
        batch_shape=tuple(batch_shape),
        proj_size=found_proj,
    )
    has_bias = any(name.startswith("bias_") for name in arrays)
    gates = TORCH_GATES[op]
    for layer in range(spec.num_layer_indices):
        suffix = f"_l{layer // spec.num_directions}" + ("_reverse" if layer % spec.num_directions else "")
        for is_w, kind in ((True, "ih"), (False, "hh")):
            width = spec.layer_input_size(layer) if is_w else spec.output_size
            weight = _take(arrays, f"weight_{kind}{suffix}", (len(gates) * found_h, width))
            bias = _take(arrays, f"bias_{kind}{suffix}", (len(gates) * found_h,)) if has_bias else None
            for i, gate in enumerate(gates):
                rows_i = slice(i * found_h, (i + 1) * found_h)
                spec.weights[(layer, gate, is_w)] = np.ascontiguousarray(weight[rows_i], dtype=np.float32)
                spec.biases[(layer, gate, is_w)] = (
                    np.zeros(found_h, np.float32)
                    if bias is None
                    else np.ascontiguousarray(bias[rows_i], np.float32)
                )
        if found_proj:
            hr = _take(arrays, f"weight_hr{suffix}", (found_proj, found_h))
            spec.projections[layer] = np.ascontiguousarray(hr, dtype=np.float32)
    extra = sorted(set(arrays) - _expected_keys(spec, has_bias))
    if extra:
        raise SpecError(
            f"from_torch: unexpected state-dict entries {extra} for a {found_layers}-layer {op.name}"
        )
    return spec.validate()


def from_torch_layout(
    x: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    batch_first: bool = False,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """PyTorch's x `[T, B, E]` (or `[B, T, E]`), h0/c0 `[L', B, H]` → trtrnn's `[B, T, E]`, `[B, L', H]`."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise ShapeError(f"x: PyTorch RNN input has rank 3 ([T, B, E] or [B, T, E]); got shape {x.shape}")
    x = x if batch_first else x.transpose(1, 0, 2)
    states = [None if s is None else np.asarray(s, np.float32).transpose(1, 0, 2) for s in (h0, c0)]
    return np.ascontiguousarray(x), *(None if s is None else np.ascontiguousarray(s) for s in states)


def to_torch_layout(outputs: Mapping[str, np.ndarray], *, batch_first: bool = False) -> dict[str, np.ndarray]:
    """trtrnn's `output`/`hidden`/`cell` → PyTorch's `output` `[T, B, D*H]` (or batch first), `h_n`, `c_n`."""
    result = {"output": outputs["output"] if batch_first else outputs["output"].transpose(1, 0, 2)}
    result["h_n"] = outputs["hidden"].transpose(1, 0, 2)
    if outputs.get("cell") is not None:
        result["c_n"] = outputs["cell"].transpose(1, 0, 2)
    return result


# ---- helpers ----------------------------------------------------------------------------
def _to_numpy(key: object, value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.floating):
        raise ShapeError(f"state dict entry {key!r}: dtype {array.dtype}; expected floating point")
    return array


def _parse_keys(arrays: Mapping[str, np.ndarray]) -> list[tuple[str, str, int, bool]]:
    parsed = []
    for name in arrays:
        match = _KEY.match(name)
        if match is None:
            raise SpecError(
                f"from_torch: state-dict entry {name!r} is not a PyTorch RNN parameter "
                "(weight|bias)_(ih|hh)_l<k>[_reverse] or weight_hr_l<k>[_reverse]; pass the RNN module's "
                "own state dict"
            )
        parsed.append((match[1], match[2], int(match[3]), match[4] is not None))
    return parsed


def _op(mode: str | None, nonlinearity: str | None, gates: int) -> RNNOperation:
    by_gates = {1: None, 3: RNNOperation.GRU, 4: RNNOperation.LSTM}
    if gates not in by_gates:
        raise ShapeError(f"weight_hh_l0: {gates} gate blocks; expected 1 (RNN), 3 (GRU) or 4 (LSTM)")
    if nonlinearity is not None and nonlinearity.lower() not in ("tanh", "relu"):
        raise SpecError(f"nonlinearity: {nonlinearity!r}; expected 'tanh' or 'relu'")
    if mode is not None:
        key = str(mode).upper()
        if key == "RNN":
            key = "RNN_" + (nonlinearity or "tanh").upper()
        if key not in MODES:
            raise SpecError(f"mode: {mode!r}; expected one of {', '.join(MODES)} or 'RNN'")
        op = MODES[key]
        if (
            nonlinearity is not None
            and op in (RNNOperation.RELU, RNNOperation.TANH)
            and op.name != nonlinearity.upper()
        ):
            raise SpecError(f"nonlinearity: {nonlinearity!r} contradicts mode {mode!r}")
        expected = len(TORCH_GATES[op])
        if expected != gates:
            raise ShapeError(
                f"weight_hh_l0: {gates} gate block(s) of hidden_size rows; mode {key} has {expected}"
            )
        return op
    if gates == 1:
        return RNNOperation.RELU if (nonlinearity or "tanh").lower() == "relu" else RNNOperation.TANH
    return by_gates[gates]


def _agree(name: str, given: object, found: object, module_config: Mapping[str, Any]) -> None:
    for source, value in (("argument", given), ("module attribute", module_config.get(name))):
        if value is not None and value != found:
            raise SpecError(f"{name}: {source} says {value!r} but the weights say {found!r}")


def _data_length(arrays: Mapping[str, np.ndarray]) -> int:
    weight = arrays.get("weight_ih_l0")
    if weight is None or weight.ndim != 2:
        raise SpecError("from_torch: weight_ih_l0 missing or not a matrix; it gives the input size")
    return int(weight.shape[1])


def _take(arrays: Mapping[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    if name not in arrays:
        raise SpecError(
            f"from_torch: {name} is missing; a layer needs weight_ih, weight_hh and, unless bias=False, "
            "both bias_ih and bias_hh"
        )
    value = arrays[name]
    if value.shape != shape:
        raise ShapeError(f"{name}: shape {value.shape}; expected {shape}")
    _fits_float32(name, value)
    return value


def _fits_float32(name: str, value: np.ndarray) -> None:
    """SpecError when finite values are too large for float32 (they would become inf when copied),
    naming the entry, the largest magnitude and float32's limit; NaN/inf are left to RNNSpec.validate."""
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.floating) or array.dtype.itemsize <= 4:
        return
    finite = np.abs(array[np.isfinite(array)])
    limit = float(np.finfo(np.float32).max)
    if finite.size and finite.max() > limit:
        raise SpecError(
            f"{name}: values up to {finite.max():.3g} overflow float32 (the weights' type; largest "
            f"{limit:.3g}); rescale the model or keep its weights within float32's range"
        )


def _expected_keys(spec: RNNSpec, has_bias: bool) -> set[str]:
    keys = set()
    for layer in range(spec.num_layer_indices):
        suffix = f"_l{layer // spec.num_directions}" + ("_reverse" if layer % spec.num_directions else "")
        for kind in ("ih", "hh"):
            keys.add(f"weight_{kind}{suffix}")
            if has_bias:
                keys.add(f"bias_{kind}{suffix}")
        if spec.proj_size:
            keys.add(f"weight_hr{suffix}")
    return keys
