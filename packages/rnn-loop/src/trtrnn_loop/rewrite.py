"""`rewrite`: every RNN/GRU/LSTM node of a whole ONNX model replaced by trtrnn's lowering, as ONNX nodes.

Each node becomes what `lowering.lower` builds on the ONNX target (`onnx_target`): the input
projection of all steps as one MatMul outside, one Scan (an ONNX loop) per node whose body holds the
one fused recurrent MatMul of all gates and both directions, the backward direction read and written
by reversed scan inputs and outputs (`reverse_iterators`), step masks for sequence_lens (SEMANTICS §5).
Everything else in the model is left as it was: graph inputs and outputs keep their names, types and
shapes, the node's outputs keep their names, dynamic batch and sequence length stay dynamic. The
result is a plain ONNX model (TensorRT's parser, trtexec, onnxruntime); it needs no trtrnn at run time.

A node is imported with core's `trtrnn.onnx_io.node_spec` (the importer's rules) and refused where the
lowering does not build the spec's features yet (`lowering.NOT_YET_LOWERED`); `keep_unsupported`
leaves such nodes as they were instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trtrnn.backend import RNNInputs
from trtrnn.errors import ShapeError, SpecError
from trtrnn.spec import RNNSpec
from trtrnn_loop.lowering import NOT_YET_LOWERED, lower
from trtrnn_loop.onnx_target import MIN_OPSET, OnnxGraph, OnnxTensor
from trtrnn_loop.padding import MIN_HIDDEN

if TYPE_CHECKING:
    import onnx

RNN_OPS = ("RNN", "GRU", "LSTM")
#: The ONNX attribute or input behind each spec feature, for refusals that name what the node uses.
FEATURE_ATTRIBUTE = {
    "GRU linear_before_reset=0": "linear_before_reset=0",
    "LSTM peepholes": "P (input 7, peepholes)",
    "LSTM input_forget": "input_forget=1",
    "clip": "clip",
    "non-default activations": "activations",
    "direction reverse": "direction='reverse'",
    "sequence length 0": "sequence_lens (a length of 0)",
    "LSTM projection (proj_size)": "projection",
}
_FLOATS = {np.dtype(np.float32): False, np.dtype(np.float16): True}


class ModelError(SpecError):
    """An ONNX model cannot be read, or breaks a rule the rewrite needs (the message names the rule)."""


@dataclass
class NodePlan:
    """What the rewrite does with one RNN node: `action` is "lower", "keep" or "refuse"."""

    index: int
    name: str
    op_type: str
    action: str
    detail: str
    spec: RNNSpec | None = None
    error: type[SpecError] = SpecError  # the class of the refusal (ShapeError for contradicting shapes)


@dataclass
class RewriteResult:
    """The rewritten model, what happened to each RNN node, and notes (e.g. a raised opset)."""

    model: onnx.ModelProto
    nodes: list[NodePlan]
    notes: list[str] = field(default_factory=list)

    @property
    def lowered(self) -> list[NodePlan]:
        return [n for n in self.nodes if n.action == "lower"]


def load_model(source: onnx.ModelProto | str | Path | bytes) -> onnx.ModelProto:
    """An ONNX model from a path, bytes or a ModelProto; ModelError when it is not one."""
    import onnx

    if isinstance(source, onnx.ModelProto):
        return source
    what = f"{source}" if isinstance(source, (str, Path)) else "the given bytes"
    try:
        data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    except OSError as exc:
        raise ModelError(f"{what}: cannot be read ({exc.strerror or exc})") from None
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ModelError(f"{what}: not an ONNX model (protobuf parse failed: {exc})") from None
    if not model.graph.node and not model.graph.input:
        raise ModelError(f"{what}: not an ONNX model (no graph: empty or another kind of file)")
    return model


def plan(model: onnx.ModelProto | str | Path | bytes, *, keep_unsupported: bool = False) -> list[NodePlan]:
    """What `rewrite` will do with each RNN/GRU/LSTM node of the main graph, without doing it."""
    model = load_model(model)
    types = _value_types(model)
    return [_plan_node(model.graph, i, node, types, keep_unsupported) for i, node in _rnn_nodes(model.graph)]


def rewrite(
    model: onnx.ModelProto | str | Path | bytes,
    *,
    keep_unsupported: bool = False,
    allow_none: bool = False,
    min_hidden: int = MIN_HIDDEN,
) -> RewriteResult:
    """`model` with every RNN/GRU/LSTM node of its main graph replaced by trtrnn's lowering.

    Raises ModelError when the model has no RNN node (unless `allow_none`: then it comes back
    unchanged) and SpecError naming node and attribute for a node the lowering cannot build (unless
    `keep_unsupported`: then the node is kept as it was). The opset is raised to MIN_OPSET only
    where it is lower (with onnx's version converter), and `notes` says so. Hidden sizes below
    `min_hidden` are lowered padded with exactly-neutral units (`trtrnn_loop.padding`: TensorRT's
    builder stalls on tinier loop states through the parser too); `min_hidden=1` does not pad.
    """
    import onnx

    model = load_model(model)
    original = model
    model = onnx.ModelProto()
    model.CopyFrom(original)
    notes: list[str] = []
    nodes = list(_rnn_nodes(model.graph))
    if not nodes:
        if allow_none:
            return RewriteResult(model, [], ["no RNN, GRU or LSTM node: the model is unchanged"])
        raise ModelError(
            "no RNN, GRU or LSTM node in the model's graph (allow_none / --allow-none passes it)"
        )
    opset = _default_opset(model)
    if opset < MIN_OPSET:
        from onnx import version_converter

        model = version_converter.convert_version(model, MIN_OPSET)
        opset = MIN_OPSET
        notes.append(
            f"opset raised from {_default_opset(original)} to {MIN_OPSET} (the Scan, Range and Slice forms "
            "the rewrite emits)"
        )
    types = _value_types(model)
    graph = model.graph
    plans = [_plan_node(graph, i, node, types, keep_unsupported) for i, node in _rnn_nodes(graph)]
    refused = [p for p in plans if p.action == "refuse"]
    if refused:
        message = "; ".join(p.detail for p in refused)
        raise refused[0].error(f"{message} (--keep-unsupported keeps such nodes as they are)")
    taken = _names_in(graph)
    replaced: dict[int, tuple[list, list]] = {}
    for p in plans:
        if p.action == "lower":
            replaced[p.index] = _lower_node(
                graph.node[p.index], p.spec, types, _prefix(p, taken), opset, min_hidden
            )
    new_nodes = []
    for i, node in enumerate(graph.node):
        if i in replaced:
            new_nodes.extend(replaced[i][0])
        else:
            new_nodes.append(node)
    del graph.node[:]
    graph.node.extend(new_nodes)
    for _, inits in replaced.values():
        graph.initializer.extend(inits)
    _drop_unused_initializers(graph)
    onnx.checker.check_model(model)
    return RewriteResult(model, plans, notes)


# ---- per node -----------------------------------------------------------------------------------
def _rnn_nodes(graph: Any) -> list[tuple[int, Any]]:
    return [(i, n) for i, n in enumerate(graph.node) if n.op_type in RNN_OPS and n.domain in ("", "ai.onnx")]


def _node_label(index: int, node: Any) -> str:
    return node.name or f"{node.op_type} #{index}"


def _plan_node(graph: Any, index: int, node: Any, types: dict, keep: bool) -> NodePlan:
    label = _node_label(index, node)
    where = f"{node.op_type} node {label!r}"
    try:
        layout, dtype, t, b, _ = _node_io(node, types)
        spec = _node_spec(graph, node, t, b)
    except SpecError as exc:
        action = "keep" if keep else "refuse"
        return NodePlan(index, label, node.op_type, action, _named(exc, where), error=type(exc))
    missing = spec.features() & set(NOT_YET_LOWERED)
    if missing:
        what = ", ".join(sorted(FEATURE_ATTRIBUTE.get(f.value, f.value) for f in missing))
        detail = f"{where}: {what}: not lowered by rnn-loop yet"
        return NodePlan(index, label, node.op_type, "keep" if keep else "refuse", detail, spec)
    dims = f"T={'dynamic' if t is None else t}, B={'dynamic' if b is None else b}"
    matmuls = "1 recurrent MatMul"
    if spec.op.name == "GRU" and not spec.linear_before_reset:
        matmuls = "2 recurrent MatMuls (z, r | h: linear_before_reset=0)"
    uses = sorted(
        FEATURE_ATTRIBUTE.get(f.value, f.value) for f in spec.features() if f.value in FEATURE_ATTRIBUTE
    )
    summary = (
        f"{spec.op.name} {spec.direction.name.lower()} H={spec.hidden_size} E={spec.data_length} "
        f"({dims}, layout {layout}, {np.dtype(dtype).name}): 1 input MatMul + 1 Scan with {matmuls} "
        f"per step"
        + (", masked by sequence_lens" if _input(node, 4) else "")
        + (f"; with {', '.join(uses)}" if uses else "")
    )
    return NodePlan(index, label, node.op_type, "lower", summary, spec)


def _named(exc: Exception, where: str) -> str:
    message = str(exc)
    return message if "node" in message else f"{where}: {message}"


def _node_spec(graph: Any, node: Any, t: int | None, b: int | None) -> RNNSpec:
    from trtrnn.onnx_io import node_spec

    return node_spec(graph, node, max_seq_length=t or 1, batch_size=b or 1)


def _node_io(node: Any, types: dict) -> tuple[int, np.dtype, int | None, int | None, int | None]:
    """(layout, X's dtype, T, B, E) with None for a dim not known statically; X's dtype must be float32/16."""
    layout = next((a.i for a in node.attribute if a.name == "layout"), 0)
    if layout not in (0, 1):
        raise SpecError(f"layout={layout}; ONNX defines 0 ([T, B, E]) and 1 ([B, T, E])")
    dtype, dims = types.get(node.input[0], (None, None))
    if dtype is None:
        dtype, _ = types.get(node.input[1], (np.dtype(np.float32), None))
    if dtype not in _FLOATS:
        raise ShapeError(f"X: dtype {dtype}; the lowering computes in float32 or float16")
    dims = dims if dims is not None and len(dims) == 3 else (None, None, None)
    t, b = (dims[1], dims[0]) if layout else (dims[0], dims[1])
    return layout, dtype, t, b, dims[2]


def _input(node: Any, position: int) -> str:
    return node.input[position] if len(node.input) > position else ""


def _lower_node(
    node: Any, spec: RNNSpec, types: dict, prefix: str, opset: int, min_hidden: int
) -> tuple[list, list]:
    """The nodes and initializers replacing `node`; its outputs keep their names."""
    from onnx import helper

    layout, dtype, t, b, _ = _node_io(node, types)
    k, h = spec.num_directions, spec.hidden_size
    g = OnnxGraph(prefix, _FLOATS[dtype], opset)
    lead = -1 if b is None else b
    steps = -1 if t is None else t
    if layout:
        x = OnnxTensor(node.input[0], dtype, (lead, steps, spec.data_length))
    else:  # [T, B, E] -> [B, T, E]
        x = g.transpose(
            OnnxTensor(node.input[0], dtype, (steps, lead, spec.data_length)), (1, 0, 2), "input.batch_major"
        )
    lengths = _input(node, 4)
    lens = OnnxTensor(lengths, np.dtype(np.int32), (lead,)) if lengths else None

    def state(position: int, what: str) -> OnnxTensor | None:
        name = _input(node, position)
        if not name:
            return None
        if layout:
            return OnnxTensor(name, dtype, (lead, k, h))
        return g.transpose(OnnxTensor(name, dtype, (k, lead, h)), (1, 0, 2), f"{what}.batch_major")

    inputs = RNNInputs(
        x, lens, state(5, "initial_h"), state(6, "initial_c") if spec.op.name == "LSTM" else None
    )
    out = lower(g, spec, inputs, dynamic_steps=t is None, min_hidden=min_hidden, reverse_iterators=True)
    y = g.reshape(out.output, (0, 0, k, h), "Y.split_directions")  # [B, T, K, H]
    results = [y if layout else g.transpose(y, (1, 2, 0, 3), "Y")]
    for value, what in ((out.hidden, "Y_h"), (out.cell, "Y_c")):
        if value is not None:
            results.append(value if layout else g.transpose(value, (1, 0, 2), what))
    produced = {o for n in g.nodes for o in n.output}
    renames: dict[str, str] = {}
    for ours, theirs in zip(results, node.output, strict=False):
        if not theirs:
            continue
        if ours.name in produced and ours.name not in renames:  # the node making it writes the name
            renames[ours.name] = theirs
        else:  # a value the node did not make (or one output twice): a copy
            g.nodes.append(helper.make_node("Identity", [ours.name], [theirs], name=f"{prefix}.{theirs}.out"))
    for n in g.nodes:
        n.output[:] = [renames.get(o, o) for o in n.output]
        n.input[:] = [renames.get(i, i) for i in n.input]
    return _live(g.nodes, [o for o in node.output if o]), g.initializers


def _live(nodes: list, outputs: list[str]) -> list:
    """`nodes` without those nothing needed reads (outputs the model does not use, folded transposes)."""
    needed, kept = set(outputs), []
    for node in reversed(nodes):
        if any(o in needed for o in node.output):
            kept.append(node)
            needed.update(node.input)
            for attr in node.attribute:  # a loop body reads outer values too
                if attr.g.node:
                    needed.update(i for n in attr.g.node for i in n.input)
    return kept[::-1]


def _prefix(p: NodePlan, taken: set[str]) -> str:
    """A name prefix for the node's replacement that no existing value or node uses."""
    base = "trtrnn." + (re.sub(r"[^A-Za-z0-9_.-]", "_", p.name) or f"{p.op_type.lower()}_{p.index}")
    candidate, i = base, 0
    while any(n == candidate or n.startswith(candidate + ".") for n in taken):
        i += 1
        candidate = f"{base}_{i}"
    taken.add(candidate)
    return candidate


# ---- model helpers ------------------------------------------------------------------------------
def _default_opset(model: Any) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)


def _value_types(model: Any) -> dict[str, tuple[np.dtype | None, tuple[int | None, ...] | None]]:
    """name -> (numpy dtype, dims with None for unknown) for every value onnx's shape inference types."""
    import onnx
    from onnx import helper

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # a custom op or a malformed part elsewhere: use what the model declares
        inferred = model
    graph = inferred.graph
    found: dict[str, tuple[np.dtype | None, tuple[int | None, ...] | None]] = {}
    for info in (*graph.input, *graph.value_info, *graph.output):
        tensor = info.type.tensor_type
        if not tensor.elem_type:
            continue
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type))
        dims = None
        if tensor.HasField("shape"):
            dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)
        found[info.name] = (dtype, dims)
    for init in graph.initializer:
        found[init.name] = (np.dtype(helper.tensor_dtype_to_np_dtype(init.data_type)), tuple(init.dims))
    return found


def _names_in(graph: Any) -> set[str]:
    names = {v.name for v in (*graph.input, *graph.output, *graph.initializer, *graph.value_info)}
    for node in graph.node:
        names.update(node.output)
        names.add(node.name)
    return names


def _used_names(graph: Any) -> set[str]:
    """Every value name a node reads, subgraphs included (they may read outer-scope values)."""
    from onnx import AttributeProto

    used = {o.name for o in graph.output}
    for node in graph.node:
        used.update(node.input)
        for attr in node.attribute:
            if attr.type == AttributeProto.GRAPH:
                used |= _used_names(attr.g)
            elif attr.type == AttributeProto.GRAPHS:
                for sub in attr.graphs:
                    used |= _used_names(sub)
    return used


def _drop_unused_initializers(graph: Any) -> None:
    """Remove the replaced nodes' weights that nothing reads any more (graph inputs are kept)."""
    used = _used_names(graph) | {i.name for i in graph.input}
    keep = [init for init in graph.initializer if init.name in used]
    if len(keep) != len(graph.initializer):
        del graph.initializer[:]
        graph.initializer.extend(keep)


__all__ = ["ModelError", "NodePlan", "RewriteResult", "load_model", "plan", "rewrite"]
