"""The ONNX bridge: RNNSpec <-> ONNX RNN/GRU/LSTM models, and onnxruntime as an independent oracle.

SEMANTICS.md §8 is the contract; `ONNX_GATES` below is the one place its gate order lives. A stack of
L layers is a chain of L nodes joined by Y [T, K, B, H] -> Transpose(0, 2, 1, 3) -> Reshape [T, B, K*H]
(PyTorch's export pattern). Leading dims B... are flattened to ONNX's single batch dim B.
`onnx` and `onnxruntime` are optional extras, imported inside the functions that need them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trtrnn.activations import ONNX_ACTIVATIONS, Activation, default_activations
from trtrnn.enums import RNNDirection, RNNGateType, RNNInputMode, RNNOperation
from trtrnn.errors import ShapeError, SpecError
from trtrnn.reference import RNNResult
from trtrnn.spec import PEEPHOLE_GATES, RNNSpec

if TYPE_CHECKING:
    import onnx

G = RNNGateType

#: Gate order of ONNX's stacked W/R/B (SEMANTICS §8): LSTM i, o, f, c; GRU z, r, h.
ONNX_GATES: dict[RNNOperation, tuple[RNNGateType, ...]] = {
    RNNOperation.RELU: (G.INPUT,),
    RNNOperation.TANH: (G.INPUT,),
    RNNOperation.LSTM: (G.INPUT, G.OUTPUT, G.FORGET, G.CELL),
    RNNOperation.GRU: (G.UPDATE, G.RESET, G.HIDDEN),
}
ONNX_OP_TYPE = {
    RNNOperation.RELU: "RNN",
    RNNOperation.TANH: "RNN",
    RNNOperation.LSTM: "LSTM",
    RNNOperation.GRU: "GRU",
}
#: ONNX's default activations per op type (anything else is not expressible, except RNN Relu).
_DEFAULT_ACTIVATIONS = {"RNN": ("Tanh",), "GRU": ("Sigmoid", "Tanh"), "LSTM": ("Sigmoid", "Tanh", "Tanh")}
#: Model metadata that lets from_onnx recover what ONNX cannot say: leading dims and SKIP input.
META_BATCH_SHAPE = "trtrnn.batch_shape"
META_INPUT_MODE = "trtrnn.input_mode"
OPSET = 17
_GLUE_OPS = {"Transpose", "Reshape", "Squeeze", "Identity"}


# ---- spec -> ONNX -------------------------------------------------------------------------------
def to_onnx(spec: RNNSpec, *, layout: int = 0) -> onnx.ModelProto:
    """An ONNX model computing `spec`: graph inputs X [T, B, E] and, where the spec sets them,
    sequence_lens [B] int32, initial_h / initial_c [L', B, H]; outputs Y [T, K, B, H] (last stack
    layer), Y_h and (LSTM) Y_c [L', B, H]. Weights are initializers; SKIP becomes identity W.
    `layout=1` writes ONNX's batch-major form (X [B, T, E], states [B, L', H], Y [B, T, K, H]).
    Every extension is written as its ONNX attribute or input (P, clip, input_forget, activations with
    every alpha/beta explicit, linear_before_reset, direction "reverse"); a projection has no ONNX
    form and is refused."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    spec.validate()
    if spec.proj_size:
        raise SpecError(
            f"to_onnx: proj_size={spec.proj_size}; ONNX's LSTM has no projection (W_hr), so an LSTMP "
            "spec has no ONNX form"
        )
    if layout not in (0, 1):
        raise SpecError(f"layout: ONNX defines 0 (sequence-major) and 1 (batch-major); got {layout!r}")
    t, h, k, n_idx = spec.max_seq_length, spec.hidden_size, spec.num_directions, spec.num_layer_indices
    b = _flat_batch(spec)

    def major(seq: int, batch: int, *rest: int) -> list[int]:  # ONNX's dims in the chosen layout
        return [batch, seq, *rest] if layout else [seq, batch, *rest]

    op_type = ONNX_OP_TYPE[spec.op]
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, major(t, b, spec.data_length))]
    if spec.seq_lengths is not None:
        inputs.append(helper.make_tensor_value_info("sequence_lens", TensorProto.INT32, [b]))
    state_names = [("initial_h", spec.hidden_state), ("initial_c", spec.cell_state)]
    for name, value in state_names:
        if value is not None:
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, major(n_idx, b, h)))
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    x_name, y_h, y_c = "X", [], []  # Y_h / Y_c of every stack layer, concatenated at the end
    for stack in range(spec.num_layers):
        w, r, bias = _pack_layer(spec, stack)
        node_inputs = [x_name, const(f"W_{stack}", w), const(f"R_{stack}", r), const(f"B_{stack}", bias)]
        node_inputs.append("sequence_lens" if spec.seq_lengths is not None else "")
        for name, value in state_names[: 2 if spec.op == RNNOperation.LSTM else 1]:
            if value is None:
                node_inputs.append("")
                continue
            bounds = {"start": stack * k, "end": stack * k + k, "axis": layout}  # this layer's [K, B, H]
            args = [const(f"{name}_{stack}_{p}", np.array([v], np.int64)) for p, v in bounds.items()]
            nodes.append(helper.make_node("Slice", [name, *args], [f"{name}_{stack}"]))
            node_inputs.append(f"{name}_{stack}")
        if spec.peepholes:
            node_inputs.append(const(f"P_{stack}", _pack_peepholes(spec, stack)))
        while node_inputs[-1] == "":  # trailing optional inputs may be omitted
            node_inputs.pop()
        outputs = [f"Y_{stack}", f"Y_h_{stack}"] + ([f"Y_c_{stack}"] if spec.op == RNNOperation.LSTM else [])
        attrs = _node_attributes(spec, stack, layout)
        nodes.append(
            helper.make_node(op_type, node_inputs, outputs, name=f"{op_type.lower()}_{stack}", **attrs)
        )
        y_h.append(outputs[1])
        y_c.extend(outputs[2:])
        if stack + 1 < spec.num_layers:
            shape = const(f"shape_{stack}", np.array([0, 0, k * h], np.int64))
            y_seq = outputs[0]
            if layout == 0:  # [T, K, B, H] -> [T, B, K, H]; layout 1's [B, T, K, H] reshapes as is
                nodes.append(helper.make_node("Transpose", [y_seq], [f"Y_{stack}_tbkh"], perm=[0, 2, 1, 3]))
                y_seq = f"Y_{stack}_tbkh"
            nodes.append(helper.make_node("Reshape", [y_seq, shape], [f"X_{stack + 1}"]))
            x_name = f"X_{stack + 1}"
    nodes.append(helper.make_node("Identity", [f"Y_{spec.num_layers - 1}"], ["Y"]))
    y_dims = [b, t, k, h] if layout else [t, k, b, h]
    graph_outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, y_dims)]
    for name, parts in (("Y_h", y_h), ("Y_c", y_c)):
        if parts:
            nodes.append(helper.make_node("Concat", parts, [name], axis=layout))
            graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, major(n_idx, b, h)))
    graph = helper.make_graph(nodes, "trtrnn", inputs, graph_outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="trtrnn")
    model.ir_version = 8
    helper.set_model_props(
        model,
        {META_BATCH_SHAPE: ",".join(map(str, spec.batch_shape)), META_INPUT_MODE: spec.input_mode.name},
    )
    onnx.checker.check_model(model)
    return model


def _node_attributes(spec: RNNSpec, stack: int, layout: int) -> dict[str, Any]:
    """The ONNX attributes of stack layer `stack`'s node; defaults are left out."""
    k = spec.num_directions
    attrs: dict[str, Any] = {"hidden_size": spec.hidden_size}
    if k == 2:
        attrs["direction"] = "bidirectional"
    elif spec.reverse:
        attrs["direction"] = "reverse"
    if spec.op == RNNOperation.GRU:
        attrs["linear_before_reset"] = int(spec.linear_before_reset)
    if layout:
        attrs["layout"] = layout
    if spec.clip is not None:
        attrs["clip"] = float(spec.clip)
    if spec.input_forget:
        attrs["input_forget"] = 1
    acts = [a for index in range(stack * k, stack * k + k) for a in spec.activation_functions(index)]
    if spec.op == RNNOperation.RELU or any(
        spec.activation_functions(i) != default_activations(spec.op) for i in range(stack * k, stack * k + k)
    ):
        attrs["activations"] = [a.name for a in acts]
        alphas = [a.alpha for a in acts if ONNX_ACTIVATIONS[a.name].takes_alpha]
        betas = [a.beta for a in acts if ONNX_ACTIVATIONS[a.name].takes_beta]
        if alphas:  # always explicit: onnxruntime defaults a missing one to 0, not ONNX's default
            attrs["activation_alpha"] = alphas
        if betas:
            attrs["activation_beta"] = betas
    return attrs


def _pack_peepholes(spec: RNNSpec, stack: int) -> np.ndarray:
    """P [K, 3*H] of one stack layer in ONNX's order i, o, f."""
    k = spec.num_directions
    rows = [
        np.concatenate([spec.peepholes[(index, gate)] for gate in PEEPHOLE_GATES])
        for index in range(stack * k, stack * k + k)
    ]
    return np.stack(rows).astype(np.float32)


def _flat_batch(spec: RNNSpec) -> int:
    return int(np.prod(spec.batch_shape, dtype=np.int64))


def _pack_layer(spec: RNNSpec, stack: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """W [K, G*H, E_l], R [K, G*H, H], B [K, 2*G*H] of one stack layer in ONNX gate order."""
    ws, rs, bs = [], [], []
    for direction in range(spec.num_directions):
        index = stack * spec.num_directions + direction
        gates = ONNX_GATES[spec.op]
        eye = np.eye(spec.hidden_size, dtype=np.float32)  # SKIP: x enters every gate as is (E == H)
        ws.append(np.concatenate([spec.weights.get((index, g, True), eye) for g in gates]))
        rs.append(np.concatenate([spec.weights[(index, g, False)] for g in gates]))
        bs.append(np.concatenate([spec.biases[(index, g, w)] for w in (True, False) for g in gates]))
    return tuple(np.stack(p).astype(np.float32) for p in (ws, rs, bs))  # type: ignore[return-value]


def onnx_feeds(spec: RNNSpec, x: np.ndarray, *, layout: int = 0) -> dict[str, np.ndarray]:
    """The feeds of `to_onnx(spec, layout=layout)` for input `x` [B..., T, E] and the spec's lengths
    and states."""
    x = np.asarray(x)
    if x.shape != spec.input_shape:
        raise ShapeError(f"x: shape {x.shape}; expected {spec.input_shape} = (*batch_shape, T, E)")
    b = _flat_batch(spec)
    x = x.reshape(b, spec.max_seq_length, spec.data_length).astype(np.float32)
    feeds = {"X": x if layout else x.transpose(1, 0, 2)}
    if spec.seq_lengths is not None:
        feeds["sequence_lens"] = np.asarray(spec.seq_lengths).reshape(b).astype(np.int32)
    for name, value in (("initial_h", spec.hidden_state), ("initial_c", spec.cell_state)):
        if value is not None:
            state = np.asarray(value).reshape(b, spec.num_layer_indices, spec.hidden_size).astype(np.float32)
            feeds[name] = state if layout else state.transpose(1, 0, 2)
    return {k: np.ascontiguousarray(v) for k, v in feeds.items()}


def onnxruntime_forward(spec: RNNSpec, x: np.ndarray) -> RNNResult:
    """Run `spec` on `x` with onnxruntime; the result has reference.forward's layout and dtype."""
    import onnxruntime

    model = to_onnx(spec)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    names = ["Y", "Y_h"] + (["Y_c"] if spec.op == RNNOperation.LSTM else [])
    got = dict(zip(names, session.run(names, onnx_feeds(spec, x)), strict=True))
    out0, state = spec.output_shapes[0], spec.state_shape
    output = got["Y"].transpose(2, 0, 1, 3).reshape(out0)  # [T, K, B, H] -> [B, T, K, H] -> [B..., T, K*H]
    hidden = got["Y_h"].transpose(1, 0, 2).reshape(state)
    cell = got["Y_c"].transpose(1, 0, 2).reshape(state) if "Y_c" in got else None
    return RNNResult(output.astype(np.float32), hidden.astype(np.float32), cell)


# ---- ONNX -> spec -------------------------------------------------------------------------------
def from_onnx(
    model: onnx.ModelProto | str | Path,
    inputs: Mapping[str, np.ndarray] | None = None,
    *,
    max_seq_length: int | None = None,
    batch_shape: tuple[int, ...] | None = None,
) -> RNNSpec:
    """The RNNSpec of a model's RNN/GRU/LSTM node, or of a chain of them (stacked layers).

    Weights, lengths and initial states are read from initializers, Constant nodes or `inputs`
    (values for graph inputs, e.g. an ONNX test vector's W/R/B or sequence_lens); a state that is a
    graph input without a value stays None. T and B come from X's static shape (or `inputs["X"]`);
    `max_seq_length` / `batch_shape` override them (needed where X's dims are dynamic). B... is (B,)
    unless `batch_shape` or to_onnx's metadata says otherwise (a dynamic B without either: (1,)).
    Every attribute imports (docs/semantics.md §2.1-2.4, §8): P, clip, input_forget, activations with
    alpha/beta (per node and direction), linear_before_reset, direction "reverse", layout 0 and 1.
    Raises SpecError / ShapeError naming the node and the attribute or input for invalid ONNX, and
    for a chain whose nodes disagree on what the spec holds once (op, sizes, direction, layout, clip,
    input_forget, linear_before_reset).
    """
    import onnx

    if isinstance(model, (str, Path)):
        model = onnx.load(str(model))
    graph = model.graph
    values = _Values(graph, dict(inputs or {}))
    chain = [n for n in graph.node if n.op_type in ("RNN", "GRU", "LSTM")]
    if not chain:
        raise SpecError("onnx model: no RNN, GRU or LSTM node to import")
    attrs = [_attributes(n) for n in chain]
    settings = [_node_settings(node, attr) for node, attr in zip(chain, attrs, strict=True)]
    op = _operation(chain[0], attrs[0])
    first = _layer_kind(chain[0], attrs[0], settings[0])
    for node, attr, setting in zip(chain[1:], attrs[1:], settings[1:], strict=True):
        if _layer_kind(node, attr, setting) != first:
            raise SpecError(
                f"onnx node {node.name or node.op_type!r}: a chain of RNN nodes imports as stacked layers "
                "only when every node has the same op, hidden_size, direction, layout, clip, input_forget "
                f"and linear_before_reset; got {_layer_kind(node, attr, setting)} after {first}"
            )
    layout = settings[0]["layout"]
    for below, above in itertools.pairwise(chain):
        _check_glue(graph, below, above, layout)

    direction = settings[0]["direction"]
    k = 2 if direction == "bidirectional" else 1
    w0 = values.need(chain[0], 1, "W")
    if w0.ndim != 3 or w0.shape[0] != k:
        raise ShapeError(f"onnx W: shape {w0.shape}; expected [num_directions={k}, gates*H, E]")
    h = int(attrs[0].get("hidden_size") or w0.shape[1] // len(ONNX_GATES[op]))
    t, b = _time_and_batch(graph, chain[0], values, max_seq_length, layout)
    meta = {p.key: p.value for p in model.metadata_props}
    batch_shape = _batch_shape(meta, b, batch_shape)
    spec = RNNSpec(
        op=op,
        hidden_size=h,
        max_seq_length=t,
        data_length=int(w0.shape[2]),
        num_layers=len(chain),
        direction=RNNDirection.BIDIRECTION if k == 2 else RNNDirection.UNIDIRECTION,
        batch_shape=tuple(batch_shape),
        reverse=direction == "reverse",
        clip=settings[0]["clip"],
        input_forget=settings[0]["input_forget"],
        linear_before_reset=settings[0]["linear_before_reset"],
    )
    skip = meta.get(META_INPUT_MODE) == RNNInputMode.SKIP.name
    for stack, node in enumerate(chain):
        _unpack_layer(spec, stack, node, values, skip_identity=skip and stack == 0)
        _unpack_extensions(spec, stack, node, settings[stack], values)
    if skip:
        spec.input_mode = RNNInputMode.SKIP
    _fill_missing_peepholes(spec)
    _import_inputs(spec, chain, values, int(np.prod(batch_shape, dtype=np.int64)), layout)
    return spec.validate()


def runtime_input_placeholders(spec: RNNSpec, model: onnx.ModelProto | str | Path) -> dict[str, np.ndarray]:
    """Placeholders for the spec fields the model takes at run time but `from_onnx` left unset.

    An RNN node's sequence_lens / initial_h / initial_c fed by a graph input (not an initializer,
    possibly through other nodes) has no value in the spec, yet an engine built from the model must
    take it as an input: a placeholder of the right shape makes it one (network inputs carry shapes
    only). Keys are `seq_lengths`, `hidden_state`, `cell_state`; `spec.replace(**result)` applies them.
    """
    import onnx

    if isinstance(model, (str, Path)):
        model = onnx.load(str(model), load_external_data=False)
    graph = model.graph
    runtime = {i.name for i in graph.input} - {t.name for t in graph.initializer}
    slots = {4: "seq_lengths", 5: "hidden_state", 6: "cell_state"}
    producer = {out: node for node in graph.node for out in node.output}

    def from_runtime_input(name: str, seen: set[str]) -> bool:
        if name in runtime:
            return True
        node = producer.get(name)
        if node is None or name in seen:
            return False
        seen.add(name)
        return any(from_runtime_input(i, seen) for i in node.input if i)

    fed = {
        slots[i]
        for node in graph.node
        if node.op_type in ("RNN", "GRU", "LSTM")
        for i, name in enumerate(node.input)
        if i in slots and name and from_runtime_input(name, set())
    }
    placeholders: dict[str, np.ndarray] = {}
    if "seq_lengths" in fed and spec.seq_lengths is None:
        placeholders["seq_lengths"] = np.full(spec.batch_shape, spec.max_seq_length, np.int32)
    for name, shape in (("hidden_state", spec.state_shape), ("cell_state", spec.cell_shape)):
        if name in fed and getattr(spec, name) is None:
            placeholders[name] = np.zeros(shape, np.float32)
    return placeholders


#: The inputs of an RNN/GRU/LSTM node that hold weights (W, R, B, and LSTM's peepholes P).
WEIGHT_INPUTS = {1: "W", 2: "R", 3: "B", 7: "P"}


def node_spec(graph: Any, node: Any, *, max_seq_length: int = 1, batch_size: int = 1) -> RNNSpec:
    """One RNN/GRU/LSTM node of a whole model's `graph` as a one-stack-layer RNNSpec.

    For rewriting a node in place: the weights (W, R, B, P) are read from the graph's constants, while
    sequence_lens and the initial states stay run-time tensors (the spec leaves them unset). The
    node's `layout` only arranges its tensors, so it is not the spec's concern and is ignored here;
    every other attribute is imported exactly as `from_onnx` does (and refused where it refuses).
    T and B are not read from the graph (they may be dynamic): `max_seq_length` / `batch_size` stand
    in for them. Raises SpecError naming the node for a weight that is not a constant.
    """
    from onnx import TensorProto, helper

    values = _Values(graph, {})
    where = f"onnx {node.op_type} node {node.name!r}" if node.name else f"onnx {node.op_type} node"
    if len(node.input) < 3 or not node.input[1] or not node.input[2]:
        raise SpecError(
            f"{where}: inputs X, W and R are required (ONNX's {node.op_type}); got {list(node.input)}"
        )
    given = {}
    for position, what in WEIGHT_INPUTS.items():
        name = node.input[position] if len(node.input) > position else ""
        if not name:
            continue
        value = values.get(name)
        if value is None:
            raise SpecError(
                f"{where}: input {what} ({name!r}) is computed or fed at run time; the lowering needs the "
                "weights as initializers or Constant nodes"
            )
        given[name] = value
    attrs = [a for a in node.attribute if a.name != "layout"]
    lone = helper.make_node(node.op_type, list(node.input), list(node.output), name=node.name)
    lone.attribute.extend(attrs)
    w = given[node.input[1]]
    x_info = helper.make_tensor_value_info(
        node.input[0], TensorProto.FLOAT, [max_seq_length, batch_size, int(w.shape[-1])]
    )
    others = [n for n in dict.fromkeys(node.input[1:]) if n and n not in given]
    inputs = [x_info, *(helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in others)]
    mini = helper.make_model(helper.make_graph([lone], "node", inputs, []))
    return from_onnx(mini, given, max_seq_length=max_seq_length, batch_shape=(batch_size,))


class _Values:
    """Constant values of a graph: initializers, Constant nodes, given inputs, and Identity/Slice/Cast
    of those (enough for per-layer states sliced from one [L', B, H] input)."""

    def __init__(self, graph: Any, given: dict[str, np.ndarray]) -> None:
        from onnx import numpy_helper

        self.known = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.known.update({k: np.asarray(v) for k, v in given.items()})
        self.producer = {o: n for n in graph.node for o in n.output}
        for node in graph.node:
            if node.op_type == "Constant":
                for a in node.attribute:
                    if a.name == "value":
                        self.known[node.output[0]] = numpy_helper.to_array(a.t)

    def get(self, name: str) -> np.ndarray | None:
        if not name:
            return None
        if name in self.known:
            return self.known[name]
        node = self.producer.get(name)
        if node is None or node.op_type not in ("Identity", "Slice", "Cast"):
            return None
        args = [self.get(i) for i in node.input]
        if any(a is None for a in args):
            return None
        if node.op_type == "Slice":
            data, starts, ends, *rest = args
            axes = rest[0] if rest else np.arange(len(starts))
            steps = rest[1] if len(rest) > 1 else np.ones(len(starts), np.int64)
            index = [slice(None)] * data.ndim
            for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
                index[int(a)] = slice(int(s), int(e), int(st))
            value = data[tuple(index)]
        elif node.op_type == "Cast":
            from onnx import helper

            to = next(a.i for a in node.attribute if a.name == "to")
            value = args[0].astype(helper.tensor_dtype_to_np_dtype(to))
        else:
            value = args[0]
        self.known[name] = value
        return value

    def need(self, node: Any, position: int, what: str) -> np.ndarray:
        name = node.input[position] if len(node.input) > position else ""
        value = self.get(name)
        if value is None:
            raise SpecError(
                f"onnx node {node.name or node.op_type!r}: input {what} ({name!r}) must be an initializer, "
                "a Constant or given in `inputs`; weights are part of the spec"
            )
        return value


def _attributes(node: Any) -> dict[str, Any]:
    from onnx import helper

    out = {}
    for a in node.attribute:
        value = helper.get_attribute_value(a)
        if isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, list):
            value = [v.decode() if isinstance(v, bytes) else v for v in value]
        out[a.name] = value
    return out


def _layer_kind(node: Any, attrs: dict[str, Any], settings: dict[str, Any]) -> tuple:
    """What every node of a stacked chain must share (the spec holds it once)."""
    shared = ("direction", "layout", "clip", "input_forget", "linear_before_reset")
    return (node.op_type, attrs.get("hidden_size"), *(settings[n] for n in shared))  # RNN: any activation


def _operation(node: Any, attrs: dict[str, Any]) -> RNNOperation:
    if node.op_type == "LSTM":
        return RNNOperation.LSTM
    if node.op_type == "GRU":
        return RNNOperation.GRU
    acts = attrs.get("activations")
    return RNNOperation.RELU if acts and acts[0] == "Relu" else RNNOperation.TANH


def _node_settings(node: Any, attrs: dict[str, Any]) -> dict[str, Any]:
    """A node's attributes as spec values, each checked against ONNX's operator definition; invalid
    ONNX is refused naming the node and the attribute (docs/semantics.md §8)."""
    import onnx

    where = f"onnx {node.op_type} node {node.name!r}" if node.name else f"onnx {node.op_type} node"

    def refuse(attribute: str, rule: str, error: type[SpecError] = SpecError) -> None:
        raise error(f"{where}: attribute {attribute}: {rule}")

    known = set(onnx.defs.get_schema(node.op_type).attributes)
    for name in attrs:
        if name not in known:
            refuse(name, f"not an attribute of ONNX's {node.op_type} (it has {', '.join(sorted(known))})")
    direction = attrs.get("direction", "forward")
    if direction not in ("forward", "reverse", "bidirectional"):
        refuse("direction", f"must be 'forward', 'reverse' or 'bidirectional'; got {direction!r}")
    layout = attrs.get("layout", 0)
    if layout not in (0, 1):
        refuse("layout", f"must be 0 ([T, B, E]) or 1 ([B, T, E]); got {layout!r}")
    clip = attrs.get("clip")
    if clip is not None and not (np.isfinite(clip) and clip > 0):
        refuse("clip", f"the threshold must be positive and finite; got {clip!r}")
    flags = {}
    for name, default in (("input_forget", 0), ("linear_before_reset", 0)):
        value = attrs.get(name, default)
        if value not in (0, 1):
            refuse(name, f"must be 0 or 1; got {value!r}")
        flags[name] = bool(value)
    k = 2 if direction == "bidirectional" else 1
    defaults = [a.name for a in default_activations(_operation(node, {}))]
    names = list(attrs.get("activations", defaults * k))
    if len(names) != len(defaults) * k:
        refuse(
            "activations",
            f"{node.op_type} with direction {direction!r} takes {len(defaults)}*{k} = {len(defaults) * k} "
            f"functions ({', '.join(defaults)} per direction); got {len(names)}: {names}",
        )
    infos = []
    for i, name in enumerate(names):
        try:
            infos.append(ONNX_ACTIVATIONS[Activation.of(name, f"activations[{i}]").name])
        except SpecError as exc:
            refuse("activations", str(exc))
    params: dict[str, list[float]] = {}
    for what in ("alpha", "beta"):
        given = attrs.get(f"activation_{what}")
        takers = [a.name for a in infos if getattr(a, f"takes_{what}")]
        if given is not None and len(given) != len(takers):
            refuse(
                f"activation_{what}",
                f"holds {len(given)} value(s) but {len(takers)} of the activations take {what} "
                f"({', '.join(takers) or 'none'}); the values are consumed in order by those functions only",
            )
        params[what] = list(given) if given is not None else []
    activations, alphas, betas = [], iter(params["alpha"]), iter(params["beta"])
    for info in infos:
        alpha = next(alphas, None) if info.takes_alpha else None
        beta = next(betas, None) if info.takes_beta else None
        activations.append(Activation.of((info.name, alpha, beta)))
    per_direction = len(defaults)
    return {
        "direction": direction,
        "layout": int(layout),
        "clip": None if clip is None else float(clip),
        "input_forget": flags["input_forget"] if node.op_type == "LSTM" else False,
        "linear_before_reset": flags["linear_before_reset"] if node.op_type == "GRU" else True,
        "activations": [tuple(activations[d * per_direction : (d + 1) * per_direction]) for d in range(k)],
    }


def _unpack_extensions(
    spec: RNNSpec, stack: int, node: Any, settings: dict[str, Any], values: _Values
) -> None:
    """A node's activations (per direction) and peepholes P [K, 3H] (i, o, f) into the spec."""
    k, h = spec.num_directions, spec.hidden_size
    default = default_activations(spec.op)
    for d, acts in enumerate(settings["activations"]):
        if acts != default:
            spec.activations[stack * k + d] = acts
    if node.op_type != "LSTM" or len(node.input) <= 7 or not node.input[7]:
        return
    where = f"onnx LSTM node {node.name!r}" if node.name else "onnx LSTM node"
    p = values.get(node.input[7])
    if p is None:
        raise SpecError(
            f"{where}: input P ({node.input[7]!r}) must be an initializer, a Constant or given in `inputs`; "
            "peepholes are weights, part of the spec"
        )
    if p.shape != (k, 3 * h):
        raise ShapeError(
            f"{where}: input P: shape {p.shape}; expected (num_directions, 3*hidden_size) = {(k, 3 * h)}"
        )
    for d in range(k):
        for i, gate in enumerate(PEEPHOLE_GATES):
            spec.peepholes[(stack * k + d, gate)] = np.asarray(p[d, i * h : (i + 1) * h], np.float32)


def _fill_missing_peepholes(spec: RNNSpec) -> None:
    """A chain where only some nodes have P: zeros for the others (no peephole is a zero peephole)."""
    if spec.peepholes:
        for index in range(spec.num_layer_indices):
            for gate in PEEPHOLE_GATES:
                spec.peepholes.setdefault((index, gate), np.zeros(spec.hidden_size, np.float32))


def _check_glue(graph: Any, below: Any, above: Any, layout: int = 0) -> None:
    """Stacked layers: `above`'s X must be `below`'s Y reshaped to [T, B, K*H] (fwd ‖ bwd); with
    layout 1 Y is [B, T, K, H], which reshapes to [B, T, K*H] without a Transpose."""
    producer = {o: n for n in graph.node for o in n.output}
    name, transposed = above.input[0], False
    while name != below.output[0]:
        node = producer.get(name)
        if node is None or node.op_type not in _GLUE_OPS:
            found = node.op_type if node else "a graph input"
            raise SpecError(
                f"onnx node {above.name or above.op_type!r}: its X does not come from the previous RNN "
                f"node's Y through Transpose/Reshape/Squeeze (found {found}); "
                "a chain imports as stacked layers only when each layer consumes the one below"
            )
        if node.op_type == "Transpose":
            perm = next((list(a.ints) for a in node.attribute if a.name == "perm"), None)
            if layout == 1:
                raise SpecError(
                    f"onnx Transpose {node.name!r}: perm {perm} between layout=1 layers; Y [B, T, K, H] "
                    "feeds the next layer through a Reshape to [B, T, K*H] only"
                )
            if perm != [0, 2, 1, 3]:
                raise SpecError(
                    f"onnx Transpose {node.name!r}: perm {perm} between layers; expected [0, 2, 1, 3]"
                )
            transposed = True
        name = node.input[0]
    if len(below.output) == 0 or not below.output[0]:
        raise SpecError("onnx: a stacked RNN node has no Y output")
    bidirectional = any(a.name == "direction" and a.s == b"bidirectional" for a in below.attribute)
    if layout == 0 and not transposed and bidirectional:
        raise SpecError(
            f"onnx node {above.name or above.op_type!r}: bidirectional Y reaches the next layer without "
            "Transpose(0, 2, 1, 3); the directions would interleave"
        )


def _batch_shape(meta: dict[str, str], b: int | None, given: tuple[int, ...] | None) -> tuple[int, ...]:
    """Leading dims: `given`, else the trtrnn metadata when it fits B, else (B,); (1,) for a dynamic B."""
    if given is not None:
        given = tuple(int(d) for d in given)
        if b is not None and int(np.prod(given, dtype=np.int64)) != b:
            raise ShapeError(f"batch_shape: {given} holds {int(np.prod(given))} sequences; X has B = {b}")
        return given
    saved = tuple(int(d) for d in meta.get(META_BATCH_SHAPE, "").split(",") if d)
    if META_BATCH_SHAPE in meta and int(np.prod(saved, dtype=np.int64)) == (b or 1):
        return saved
    return (b or 1,)


def _time_and_batch(
    graph: Any, node: Any, values: _Values, max_seq_length: int | None, layout: int = 0
) -> tuple[int, int | None]:
    x = values.get(node.input[0])
    if x is not None:
        dims: list[int | None] = list(x.shape)
    else:
        info = {v.name: v for v in (*graph.input, *graph.value_info)}.get(node.input[0])
        if info is None:
            dims = [None, None, None]
        else:
            dims = [d.dim_value if d.HasField("dim_value") else None for d in info.type.tensor_type.shape.dim]
    if layout == 1:  # X [B, T, E]
        dims = [dims[1], dims[0], *dims[2:]]
    t = max_seq_length if max_seq_length is not None else dims[0]
    if not t:
        raise SpecError("onnx X: the sequence length T is dynamic; pass max_seq_length=")
    return int(t), (int(dims[1]) if dims[1] else None)


def _unpack_layer(spec: RNNSpec, stack: int, node: Any, values: _Values, *, skip_identity: bool) -> None:
    gates, h = ONNX_GATES[spec.op], spec.hidden_size
    k = spec.num_directions
    w, r = values.need(node, 1, "W"), values.need(node, 2, "R")
    bias = values.get(node.input[3]) if len(node.input) > 3 else None
    g = len(gates)
    if bias is None:
        bias = np.zeros((k, 2 * g * h), np.float32)
    expected = {"W": (k, g * h, spec.layer_input_size(stack * k)), "R": (k, g * h, h), "B": (k, 2 * g * h)}
    for name, value in (("W", w), ("R", r), ("B", bias)):
        if value.shape != expected[name]:
            raise ShapeError(
                f"onnx {name} of layer {stack}: shape {value.shape}; expected {expected[name]} "
                f"(num_directions, gates*hidden_size, ...)"
            )
    eye = np.eye(h, dtype=w.dtype)
    is_identity = w.shape[2] == h and all(
        np.array_equal(w[d, i * h : (i + 1) * h], eye) for d in range(k) for i in range(g)
    )
    for d in range(k):
        index = stack * k + d
        for i, gate in enumerate(gates):
            rows = slice(i * h, (i + 1) * h)
            if not (skip_identity and is_identity):
                spec.weights[(index, gate, True)] = w[d, rows]
            spec.weights[(index, gate, False)] = r[d, rows]
            spec.biases[(index, gate, True)] = bias[d, i * h : (i + 1) * h]
            spec.biases[(index, gate, False)] = bias[d, (g + i) * h : (g + i + 1) * h]
    if skip_identity and not is_identity:
        raise SpecError("onnx model: metadata says SKIP input mode but layer 0's W is not the identity")


def _import_inputs(spec: RNNSpec, chain: list, values: _Values, b: int, layout: int = 0) -> None:
    """sequence_lens (shared by the chain) and per-node initial_h/initial_c -> spec's [B..., L', H].

    A state fed at run time without a value here leaves the spec's field unset."""
    lens_names = {n.input[4] if len(n.input) > 4 else "" for n in chain}
    if len(lens_names) > 1:
        raise SpecError(
            f"onnx: the stacked nodes take different sequence_lens ({sorted(lens_names)}); every layer of "
            "a TensorRT RNN uses the same lengths"
        )
    lens = values.get(lens_names.pop())
    if lens is not None:
        spec.seq_lengths = np.asarray(lens).astype(np.int32).reshape(spec.batch_shape)
    for position, field in ((5, "hidden_state"), (6, "cell_state")):
        names = [n.input[position] if len(n.input) > position else "" for n in chain]
        found = [values.get(name) for name in names]
        if not any(names) or any(name and value is None for name, value in zip(names, found, strict=True)):
            continue
        zeros = np.zeros((spec.num_directions, b, spec.hidden_size), np.float32)
        if layout == 1:  # [B, K, H] -> [K, B, H]
            found = [None if v is None else np.swapaxes(v, 0, 1) for v in found]
        stacked = np.concatenate([zeros if v is None else v for v in found], axis=0).astype(np.float32)
        setattr(
            spec, field, stacked.transpose(1, 0, 2).reshape(spec.state_shape)
        )  # [L', B, H] -> [B..., L', H]
