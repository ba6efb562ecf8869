"""One kernel builder per TensorRT LayerType, registered in KERNELS (the onnx.reference pattern).

A builder reads the layer's attributes once, while the layer is cast to its interface class, and
returns a kernel `f(inputs: list[np.ndarray | None]) -> list[np.ndarray]` that the evaluation loop
calls (many times inside a loop body, hence attributes are never read at run time). Semantics follow
TensorRT's NvInfer.h; each builder names the rule it implements. Floating-point work stays in the
tensor's own dtype for FLOAT (float32, as TensorRT computes it); HALF layers compute in float32 and
round once on output (`widened`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from trtrnn.errors import ShapeError, TrtrnnError, UnsupportedLayerError
from trtrnn.tf32 import round_tf32

Kernel = Callable[[list], list]


@dataclass(frozen=True)
class LayerContext:
    """What a builder may read besides the layer: its identity and declared tensor facts."""

    layer: object
    kind: str
    name: str
    in_ranks: tuple[int | None, ...]
    out_dtypes: tuple[np.dtype | None, ...]
    tf32: bool = False  #: float32 matrix multiplies round their operands to TF32 (trtrnn.tf32)

    def unsupported(self, detail: str) -> UnsupportedLayerError:
        return UnsupportedLayerError(f"{self.kind} layer {self.name!r}: {detail}")


#: LayerType name -> (TensorRT interface class name, builder).
KERNELS: dict[str, tuple[str, Callable[[LayerContext], Kernel]]] = {}


def kernel(kind: str, interface: str) -> Callable:
    """Register a builder for LayerType `kind`, read through interface class `interface`."""

    def register(builder: Callable[[LayerContext], Kernel]) -> Callable[[LayerContext], Kernel]:
        KERNELS[kind] = (interface, builder)
        return builder

    return register


#: LayerTypes that compute new values (rather than move, select or convert them): with float16 tensors
#: they run through `widened`.
ARITHMETIC = frozenset(
    {"ELEMENTWISE", "UNARY", "ACTIVATION", "PARAMETRIC_RELU", "SCALE", "MATRIX_MULTIPLY", "REDUCE"}
    | {"SOFTMAX", "EINSUM", "CUMULATIVE", "CONVOLUTION", "POOLING"}
)


def widened(kernel: Kernel, out_dtypes: tuple[np.dtype | None, ...]) -> Kernel:
    """`kernel` run on float16 inputs widened to float32, each output rounded once to its declared dtype.

    Why float32 inside and one rounding per layer: a strongly typed network fixes only each layer's
    output type, and TensorRT's fp16 kernels widen inside (GEMMs accumulate in fp32; pointwise kernels,
    often fused by the builder, convert half to float, compute and convert back). Rounding every
    layer's output once is the most rounding the network definition allows, so an engine (which rounds
    as often or, fusing layers, less) is at least as close to the oracle as the evaluator. numpy's own
    float16 arithmetic would round each intermediate of a formula (sigmoid's exp, add, divide); for a
    single +, -, *, / or sqrt both agree, float32 holding more than 2*11+2 bits.
    """

    def run(args: list) -> list:
        wide = [a.astype(np.float32) if a is not None and a.dtype == np.float16 else a for a in args]
        outs = kernel(wide)
        return [
            o.astype(d, copy=False) if d is not None and o.dtype != d else o for o, d in zip(outs, out_dtypes)
        ]

    return run


def needs_widening(kind: str, dtypes: tuple[np.dtype | None, ...]) -> bool:
    """Whether a `kind` layer touching tensors of `dtypes` computes in float16 (see `widened`)."""
    return kind in ARITHMETIC and any(d == np.float16 for d in dtypes if d is not None)


def _ints(value: object) -> list[int]:
    return [int(v) for v in np.asarray(value).reshape(-1).tolist()]


def _bitmask_axes(mask: int, rank: int) -> tuple[int, ...]:
    return tuple(i for i in range(rank) if mask & (1 << i))


def _enum(value: object) -> str:
    return getattr(value, "name", str(value))


# --- sources -----------------------------------------------------------------------------------


@kernel("CONSTANT", "IConstantLayer")
def constant(ctx: LayerContext) -> Kernel:
    """The weights reshaped to `shape` (TensorRT stores them flat)."""
    dtype = ctx.out_dtypes[0]
    if dtype is None:
        raise ctx.unsupported("its data type has no numpy equivalent")
    shape = tuple(ctx.layer.shape)
    weights = ctx.layer.weights
    if weights is not None and hasattr(weights, "numpy"):  # a trt.Weights rather than an ndarray
        weights = weights.numpy()
    values = np.zeros(0, dtype) if weights is None else np.asarray(weights)
    value = np.array(values, dtype=dtype).reshape(shape)
    value.setflags(write=False)
    return lambda args: [value]


@kernel("SHAPE", "IShapeLayer")
def shape(ctx: LayerContext) -> Kernel:
    dtype = ctx.out_dtypes[0]
    return lambda args: [np.array(args[0].shape, dtype=dtype)]


@kernel("FILL", "IFillLayer")
def fill(ctx: LayerContext) -> Kernel:
    """LINSPACE: out[i0, i1, ...] = alpha + beta[0]*i0 + beta[1]*i1 + ...; a static beta b means [b]."""
    op = _enum(ctx.layer.operation)
    if op != "LINSPACE":
        raise ctx.unsupported(f"FillOperation.{op} draws random numbers TensorRT's run would not reproduce")
    dims = tuple(ctx.layer.shape) if ctx.layer.shape is not None else None
    alpha, beta = ctx.layer.alpha, ctx.layer.beta
    dtype = ctx.out_dtypes[0]

    def run(args: list) -> list:
        shape = tuple(_ints(args[0])) if len(args) > 0 and args[0] is not None else dims
        a = args[1] if len(args) > 1 and args[1] is not None else alpha
        b = args[2] if len(args) > 2 and args[2] is not None else [beta]
        b = np.asarray(b).reshape(-1)
        if b.size != len(shape):
            raise ShapeError(
                f"FILL layer {ctx.name!r}: delta has {b.size} values; expected {len(shape)} (rank)"
            )
        exact = np.int64 if dtype.kind in "iu" else np.float64
        out = np.full(shape, np.asarray(a, dtype=exact).reshape(()), dtype=exact)
        for axis, step in enumerate(b.astype(exact)):
            index_shape = [1] * len(shape)
            index_shape[axis] = shape[axis]
            out = out + np.arange(shape[axis], dtype=exact).reshape(index_shape) * step
        return [out.astype(dtype)]

    return run


# --- pointwise -----------------------------------------------------------------------------------


def _trunc_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "f":
        return np.true_divide(a, b, dtype=a.dtype)
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) ^ (b < 0), -q, q).astype(np.result_type(a, b))


ELEMENTWISE_OPS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "SUM": np.add,
    "PROD": np.multiply,
    "MAX": np.maximum,
    "MIN": np.minimum,
    "SUB": np.subtract,
    "DIV": _trunc_div,  # integers: C++ division (toward zero); FLOOR_DIV is the flooring one
    "POW": np.power,
    "FLOOR_DIV": np.floor_divide,
    "AND": np.logical_and,
    "OR": np.logical_or,
    "XOR": np.logical_xor,
    "EQUAL": np.equal,
    "GREATER": np.greater,
    "LESS": np.less,
}


@kernel("ELEMENTWISE", "IElementWiseLayer")
def elementwise(ctx: LayerContext) -> Kernel:
    """Binary op with broadcasting of length-1 dims; comparisons give BOOL."""
    op = _enum(ctx.layer.op)
    fn = ELEMENTWISE_OPS.get(op)
    if fn is None:
        raise ctx.unsupported(f"ElementWiseOperation.{op} is not implemented")
    return lambda args: [fn(args[0], args[1])]


def _erf(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - scipy is optional
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    return erf(x).astype(x.dtype)


UNARY_OPS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "EXP": np.exp,
    "LOG": np.log,
    "SQRT": np.sqrt,
    "RECIP": lambda x: np.reciprocal(x) if x.dtype.kind == "f" else (1 / x).astype(x.dtype),
    "ABS": np.abs,
    "NEG": np.negative,
    "SIN": np.sin,
    "COS": np.cos,
    "TAN": np.tan,
    "SINH": np.sinh,
    "COSH": np.cosh,
    "ASIN": np.arcsin,
    "ACOS": np.arccos,
    "ATAN": np.arctan,
    "ASINH": np.arcsinh,
    "ACOSH": np.arccosh,
    "ATANH": np.arctanh,
    "CEIL": np.ceil,
    "FLOOR": np.floor,
    "ERF": _erf,
    "NOT": np.logical_not,
    "SIGN": np.sign,
    "ROUND": np.round,  # numpy rounds half to even, as TensorRT documents
    "ISINF": np.isinf,
    "ISNAN": np.isnan,
}


@kernel("UNARY", "IUnaryLayer")
def unary(ctx: LayerContext) -> Kernel:
    op = _enum(ctx.layer.op)
    fn = UNARY_OPS.get(op)
    if fn is None:
        raise ctx.unsupported(f"UnaryOperation.{op} is not implemented")
    return lambda args: [fn(args[0])]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    one = x.dtype.type(1)
    return one / (one + np.exp(-x))


def _activation_fn(kind: str, alpha: float, beta: float) -> Callable[[np.ndarray], np.ndarray] | None:
    """NvInfer.h ActivationType formulas, alpha/beta in the tensor's dtype."""

    def typed(f: Callable) -> Callable[[np.ndarray], np.ndarray]:
        def run(x: np.ndarray) -> np.ndarray:
            t = x.dtype.type
            return np.asarray(f(x, t(alpha), t(beta), t), dtype=x.dtype)

        return run

    table = {
        "RELU": lambda x, a, b, t: np.maximum(x, t(0)),
        "SIGMOID": lambda x, a, b, t: _sigmoid(x),
        "TANH": lambda x, a, b, t: np.tanh(x),
        "LEAKY_RELU": lambda x, a, b, t: np.where(x >= 0, x, a * x),
        "ELU": lambda x, a, b, t: np.where(x >= 0, x, a * (np.exp(x) - t(1))),
        "SELU": lambda x, a, b, t: np.where(x > 0, b * x, b * (a * np.exp(x) - a)),
        "SOFTSIGN": lambda x, a, b, t: x / (t(1) + np.abs(x)),
        "SOFTPLUS": lambda x, a, b, t: a * np.logaddexp(t(0), b * x),  # = alpha*log(exp(beta*x)+1)
        "CLIP": lambda x, a, b, t: np.maximum(a, np.minimum(b, x)),
        "HARD_SIGMOID": lambda x, a, b, t: np.maximum(t(0), np.minimum(t(1), a * x + b)),
        "SCALED_TANH": lambda x, a, b, t: a * np.tanh(b * x),
        "THRESHOLDED_RELU": lambda x, a, b, t: np.where(x > a, x, t(0)),
        "GELU_ERF": lambda x, a, b, t: t(0.5) * x * (t(1) + _erf(t(math.sqrt(0.5)) * x)),
        "GELU_TANH": lambda x, a, b, t: (
            t(0.5) * x * (t(1) + np.tanh(t(math.sqrt(2 / math.pi)) * (t(0.044715) * x**3 + x)))
        ),
    }
    f = table.get(kind)
    if f is None:
        return None
    if kind == "TANH":  # the hot path in RNN bodies: skip the wrapper
        return np.tanh
    return typed(f)


@kernel("ACTIVATION", "IActivationLayer")
def activation(ctx: LayerContext) -> Kernel:
    # after the cast, `type` is the ActivationType (SEMANTICS.md §10)
    kind = _enum(ctx.layer.type)
    fn = _activation_fn(kind, float(ctx.layer.alpha), float(ctx.layer.beta))
    if fn is None:
        raise ctx.unsupported(f"ActivationType.{kind} is not implemented")
    return lambda args: [fn(args[0])]


@kernel("PARAMETRIC_RELU", "IParametricReLULayer")
def parametric_relu(ctx: LayerContext) -> Kernel:
    return lambda args: [np.where(args[0] >= 0, args[0], args[0] * args[1]).astype(args[0].dtype)]


@kernel("SELECT", "ISelectLayer")
def select(ctx: LayerContext) -> Kernel:
    return lambda args: [np.where(args[0], args[1], args[2])]


@kernel("CAST", "ICastLayer")
def cast(ctx: LayerContext) -> Kernel:
    """Float to integer truncates toward zero (C++ conversion); to BOOL is `!= 0`."""
    dtype = ctx.out_dtypes[0]
    if dtype is None:
        raise ctx.unsupported("the target type has no numpy equivalent")
    return lambda args: [args[0].astype(dtype)]


@kernel("IDENTITY", "IIdentityLayer")
def identity(ctx: LayerContext) -> Kernel:
    """A copy, converted to the output type when set_output_type asked for one."""
    dtype = ctx.out_dtypes[0]
    if dtype is None:
        raise ctx.unsupported("the output type has no numpy equivalent")
    return lambda args: [args[0].astype(dtype, copy=False)]


@kernel("SCALE", "IScaleLayer")
def scale(ctx: LayerContext) -> Kernel:
    """out = (x * scale + shift) ** power, per tensor (UNIFORM), channel or element after channel_axis."""
    layer = ctx.layer
    mode, axis = _enum(layer.mode), int(layer.channel_axis)

    def weights(w: object, default: float) -> np.ndarray:
        a = np.asarray(w if w is not None else [], dtype=np.float32).reshape(-1)
        return a if a.size else np.array([default], np.float32)

    sc, sh, pw = weights(layer.scale, 1.0), weights(layer.shift, 0.0), weights(layer.power, 1.0)

    def run(args: list) -> list:
        x = args[0]
        if mode == "UNIFORM":
            shape = ()
        elif mode == "CHANNEL":
            shape = (x.shape[axis],) + (1,) * (x.ndim - axis - 1)
        else:
            shape = x.shape[axis:]

        def fit(w: np.ndarray) -> np.ndarray:
            return w.reshape(()) if w.size == 1 else w.reshape(shape)

        return [((x * fit(sc).astype(x.dtype) + fit(sh).astype(x.dtype)) ** fit(pw).astype(x.dtype))]

    return run


# --- linear algebra and reductions ----------------------------------------------------------------


@kernel("MATRIX_MULTIPLY", "IMatrixMultiplyLayer")
def matrix_multiply(ctx: LayerContext) -> Kernel:
    """NONE: last two dims are the matrix; TRANSPOSE swaps them; VECTOR: input 0 [..,K] is [..,1,K]
    (row vectors), input 1 [..,K] is [..,K,1] (column vectors), and the vector dim is dropped.

    With `ctx.tf32`, float32 operands are rounded to TF32 first, as a tensor core reads them under
    BuilderFlag.TF32; the products are then exact and the sums float32 (trtrnn.tf32)."""
    op0, op1 = _enum(ctx.layer.op0), _enum(ctx.layer.op1)

    def run(args: list) -> list:
        a, b = args[0], args[1]
        if ctx.tf32:
            a, b = (round_tf32(v) if v.dtype == np.float32 else v for v in (a, b))
        if op0 == "VECTOR":
            a = a[..., None, :]
        elif op0 == "TRANSPOSE":
            a = np.swapaxes(a, -1, -2)
        if op1 == "VECTOR":
            b = b[..., :, None]
        elif op1 == "TRANSPOSE":
            b = np.swapaxes(b, -1, -2)
        out = np.matmul(a, b)
        if op1 == "VECTOR":
            out = out[..., 0]
        if op0 == "VECTOR":
            out = out[..., 0] if op1 == "VECTOR" else out[..., 0, :]
        return [out]

    return run


REDUCE_OPS = {"SUM": np.sum, "PROD": np.prod, "MAX": np.max, "MIN": np.min, "AVG": np.mean}


@kernel("REDUCE", "IReduceLayer")
def reduce(ctx: LayerContext) -> Kernel:
    """Reduce over the axes of the bitmask `axes`, keeping them as 1 when keep_dims."""
    op = _enum(ctx.layer.op)
    fn = REDUCE_OPS.get(op)
    if fn is None:
        raise ctx.unsupported(f"ReduceOperation.{op} is not implemented")
    mask, keep = int(ctx.layer.axes), bool(ctx.layer.keep_dims)

    def run(args: list) -> list:
        x = args[0]
        axes = _bitmask_axes(mask, x.ndim)
        return [np.asarray(fn(x, axis=axes, keepdims=keep)).astype(x.dtype, copy=False)]

    return run


@kernel("SOFTMAX", "ISoftMaxLayer")
def softmax(ctx: LayerContext) -> Kernel:
    mask = int(ctx.layer.axes)

    def run(args: list) -> list:
        x = args[0]
        axes = _bitmask_axes(mask, x.ndim)
        e = np.exp(x - np.max(x, axis=axes, keepdims=True))
        return [(e / np.sum(e, axis=axes, keepdims=True)).astype(x.dtype, copy=False)]

    return run


@kernel("EINSUM", "IEinsumLayer")
def einsum(ctx: LayerContext) -> Kernel:
    equation = str(ctx.layer.equation)
    return lambda args: [np.einsum(equation, *args)]


@kernel("CUMULATIVE", "ICumulativeLayer")
def cumulative(ctx: LayerContext) -> Kernel:
    """Running sum along the axis given by input 1; `exclusive` shifts by one, `reverse` runs backwards."""
    op = _enum(ctx.layer.op)
    if op != "SUM":
        raise ctx.unsupported(f"CumulativeOperation.{op} is not implemented")
    exclusive, reverse = bool(ctx.layer.exclusive), bool(ctx.layer.reverse)

    def run(args: list) -> list:
        x, axis = args[0], int(np.asarray(args[1]).reshape(()))
        y = np.flip(x, axis) if reverse else x
        out = np.cumsum(y, axis=axis, dtype=x.dtype)
        if exclusive:
            out = out - y
        return [np.flip(out, axis) if reverse else out]

    return run


@kernel("TOPK", "ITopKLayer")
def topk(ctx: LayerContext) -> Kernel:
    op, mask, k_static = _enum(ctx.layer.op), int(ctx.layer.axes), int(ctx.layer.k)
    index_dtype = ctx.out_dtypes[1]

    def run(args: list) -> list:
        x = args[0]
        k = int(np.asarray(args[1]).reshape(())) if len(args) > 1 and args[1] is not None else k_static
        (axis,) = _bitmask_axes(mask, x.ndim)
        order = np.argsort(-x if op == "MAX" else x, axis=axis, kind="stable")
        index = np.take(order, np.arange(k), axis=axis)
        return [np.take_along_axis(x, index, axis=axis), index.astype(index_dtype)]

    return run


# --- data movement -----------------------------------------------------------------------------


def _perm(value: object, rank: int | None) -> tuple[int, ...] | None:
    """A shuffle permutation truncated to the tensor's rank; None when it is the identity."""
    if value is None or rank is None:
        return None
    perm = tuple(int(v) for v in tuple(value)[:rank])
    return None if perm == tuple(range(rank)) else perm


@kernel("SHUFFLE", "IShuffleLayer")
def shuffle(ctx: LayerContext) -> Kernel:
    """first transpose (numpy order), reshape (0 copies the input dim when zero_is_placeholder,
    -1 is inferred; input 1 overrides reshape_dims), second transpose."""
    layer = ctx.layer
    in_rank = ctx.in_ranks[0]
    first = _perm(layer.first_transpose, in_rank)
    dims = layer.reshape_dims
    dims = None if dims is None else tuple(int(d) for d in dims)
    zero_copies = bool(layer.zero_is_placeholder)
    raw_second = tuple(layer.second_transpose)  # truncated to the reshaped rank at run time

    def run(args: list) -> list:
        x = args[0]
        if first is not None:
            x = np.transpose(x, first)
        shape = tuple(_ints(args[1])) if len(args) > 1 and args[1] is not None else dims
        if shape is not None:
            if zero_copies and 0 in shape:
                shape = tuple(x.shape[i] if d == 0 else d for i, d in enumerate(shape))
            x = x.reshape(shape)
        second = _perm(raw_second, x.ndim)
        if second is not None:
            x = np.transpose(x, second)
        return [x]

    return run


def _reflect(index: np.ndarray, n: int) -> np.ndarray:
    if n == 1:
        return np.zeros_like(index)
    period = 2 * (n - 1)
    i = np.mod(index, period)
    return np.where(i >= n, period - i, i)


@kernel("SLICE", "ISliceLayer")
def slice_(ctx: LayerContext) -> Kernel:
    """out[i] = x[start + i*stride] per axis; inputs 1,2,3,5 override start/size/stride/axes;
    out-of-bounds indices follow SampleMode (STRICT_BOUNDS fails, WRAP, CLAMP, FILL with input 4, REFLECT)."""
    layer = ctx.layer
    mode = _enum(layer.mode)
    if mode not in ("STRICT_BOUNDS", "WRAP", "CLAMP", "FILL", "REFLECT"):
        raise ctx.unsupported(f"SampleMode.{mode} is not implemented")

    def static(value: object) -> tuple[int, ...] | None:
        return None if value is None else tuple(int(v) for v in value)

    s_start, s_size, s_stride = static(layer.start), static(layer.shape), static(layer.stride)
    s_axes = static(layer.axes)

    def arg(args: list, i: int, default: tuple[int, ...] | None) -> tuple[int, ...] | None:
        return tuple(_ints(args[i])) if len(args) > i and args[i] is not None else default

    def run(args: list) -> list:
        x = args[0]
        start, size, stride = arg(args, 1, s_start), arg(args, 2, s_size), arg(args, 3, s_stride)
        axes = arg(args, 5, s_axes)
        if axes is not None:
            full_start, full_size, full_stride = [0] * x.ndim, list(x.shape), [1] * x.ndim
            for j, a in enumerate(axes):
                a = a + x.ndim if a < 0 else a
                full_start[a], full_size[a], full_stride[a] = start[j], size[j], stride[j]
            start, size, stride = full_start, full_size, full_stride
        basic, index, valid = [], [], []
        in_bounds = True
        for n, s, k, d in zip(x.shape, start, size, stride):
            last = s + (k - 1) * d
            i = s + np.arange(k) * d
            index.append(i)
            if k == 0 or (0 <= s < n and 0 <= last < n):
                stop = last + (1 if d > 0 else -1)
                if k == 0:
                    basic.append(slice(0, 0))
                else:
                    basic.append(None if d == 0 else slice(s, None if stop < 0 else stop, d))
                valid.append(None)
                continue
            in_bounds = False
            valid.append((i >= 0) & (i < n))
        if in_bounds:
            if None not in basic:
                return [x[tuple(basic)]]
            return [x[np.ix_(*index)] if x.ndim else x]  # stride 0 repeats an element
        if mode == "STRICT_BOUNDS":
            raise ShapeError(
                f"SLICE layer {ctx.name!r}: start {tuple(start)}, size {tuple(size)}, stride {tuple(stride)} "
                f"reads outside input shape {x.shape} (SampleMode.STRICT_BOUNDS)"
            )
        fixed = []
        for n, i in zip(x.shape, index):
            if mode == "WRAP":
                fixed.append(np.mod(i, n))
            elif mode == "REFLECT":
                fixed.append(_reflect(i, n))
            else:
                fixed.append(np.clip(i, 0, max(n - 1, 0)))
        out = x[np.ix_(*fixed)] if x.ndim else x
        if mode == "FILL":
            fill_value = args[4] if len(args) > 4 and args[4] is not None else np.zeros((), x.dtype)
            mask = np.ones(out.shape, bool)
            for axis, v in enumerate(valid):
                if v is not None:
                    shape = [1] * x.ndim
                    shape[axis] = v.size
                    mask = mask & v.reshape(shape)
            out = np.where(mask, out, np.asarray(fill_value, x.dtype).reshape(()))
        return [out]

    return run


@kernel("CONCATENATION", "IConcatenationLayer")
def concatenation(ctx: LayerContext) -> Kernel:
    axis = int(ctx.layer.axis)
    return lambda args: [np.concatenate(args, axis=axis)]


def _wrap_indices(idx: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Negative indices count from the end; out-of-bounds ones read as zero (NvInfer.h IGatherLayer)."""
    idx = np.where(idx < 0, idx + n, idx)
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        return np.where(bad, 0, idx), ~bad
    return idx, None


@kernel("GATHER", "IGatherLayer")
def gather(ctx: LayerContext) -> Kernel:
    """DEFAULT ~ ONNX Gather (nbElementwiseDims 0 or 1), ELEMENT ~ GatherElements, ND ~ GatherND."""
    mode, axis, ew = _enum(ctx.layer.mode), int(ctx.layer.axis), int(ctx.layer.num_elementwise_dims)
    if mode not in ("DEFAULT", "ELEMENT", "ND"):
        raise ctx.unsupported(f"GatherMode.{mode} is not implemented")

    def default(data: np.ndarray, idx: np.ndarray) -> np.ndarray:
        idx, valid = _wrap_indices(idx.astype(np.int64), data.shape[axis])
        if ew == 0:
            out = np.take(data, idx, axis=axis)
            if valid is not None:
                out = np.where(valid.reshape((1,) * axis + idx.shape + (1,) * (data.ndim - axis - 1)), out, 0)
            return out.astype(data.dtype, copy=False)
        batch = max(data.shape[0], idx.shape[0])
        data = np.broadcast_to(data, (batch, *data.shape[1:]))
        idx = np.broadcast_to(idx, (batch, *idx.shape[1:]))
        valid = None if valid is None else np.broadcast_to(valid, idx.shape)
        parts = []
        for b in range(batch):
            part = np.take(data[b], idx[b], axis=axis - 1)
            if valid is not None:
                vb = valid[b].reshape((1,) * (axis - 1) + idx.shape[1:] + (1,) * (data.ndim - axis - 1))
                part = np.where(vb, part, 0).astype(data.dtype)
            parts.append(part)
        return np.stack(parts)

    def element(data: np.ndarray, idx: np.ndarray) -> np.ndarray:
        idx, valid = _wrap_indices(idx.astype(np.int64), data.shape[axis])
        out = np.take_along_axis(data, idx, axis=axis)
        return out if valid is None else np.where(valid, out, 0).astype(data.dtype)

    def nd(data: np.ndarray, idx: np.ndarray) -> np.ndarray:
        idx = idx.astype(np.int64)
        k = idx.shape[-1]
        out_shape = idx.shape[:-1] + data.shape[ew + k :]
        d = data.reshape((-1, *data.shape[ew:]))
        i = idx.reshape((-1, *idx.shape[ew:]))
        rows = []
        for b in range(d.shape[0]):
            flat = i[b].reshape(-1, k)
            items = []
            for row in flat:
                row = [int(v) + (n if v < 0 else 0) for v, n in zip(row, d.shape[1 : 1 + k])]
                ok = all(0 <= v < n for v, n in zip(row, d.shape[1 : 1 + k]))
                items.append(d[b][tuple(row)] if ok else np.zeros(d.shape[1 + k :], data.dtype))
            rows.append(np.array(items, dtype=data.dtype).reshape(i.shape[1:-1] + data.shape[ew + k :]))
        return np.array(rows, dtype=data.dtype).reshape(out_shape)

    fn = {"DEFAULT": default, "ELEMENT": element, "ND": nd}[mode]
    return lambda args: [fn(args[0], args[1])]


def _axes(value: np.ndarray, rank: int) -> tuple[int, ...]:
    return tuple(a + rank if a < 0 else a for a in _ints(value))


@kernel("SQUEEZE", "ISqueezeLayer")
def squeeze(ctx: LayerContext) -> Kernel:
    """Remove the length-1 axes listed by input 1."""
    return lambda args: [np.squeeze(args[0], axis=_axes(args[1], args[0].ndim))]


@kernel("UNSQUEEZE", "IUnsqueezeLayer")
def unsqueeze(ctx: LayerContext) -> Kernel:
    """Insert length-1 axes at the output positions listed by input 1."""

    def run(args: list) -> list:
        axes = _ints(args[1])
        rank = args[0].ndim + len(axes)
        return [np.expand_dims(args[0], tuple(a + rank if a < 0 else a for a in axes))]

    return run


@kernel("REVERSE_SEQUENCE", "IReverseSequenceLayer")
def reverse_sequence(ctx: LayerContext) -> Kernel:
    """For slice i along batch_axis, reverse the first lens[i] elements along sequence_axis."""
    batch_axis, seq_axis = int(ctx.layer.batch_axis), int(ctx.layer.sequence_axis)

    def run(args: list) -> list:
        x, lens = args[0], _ints(args[1])
        out = np.array(x, copy=True)
        xb, ob = np.moveaxis(x, batch_axis, 0), np.moveaxis(out, batch_axis, 0)
        s = seq_axis - (1 if seq_axis > batch_axis else 0)
        for i, n in enumerate(lens):
            if not 0 <= n <= x.shape[seq_axis]:
                raise ShapeError(
                    f"REVERSE_SEQUENCE layer {ctx.name!r}: sequence length {n} at batch {i}; "
                    f"expected 0..{x.shape[seq_axis]}"
                )
            src = np.moveaxis(xb[i], s, 0)
            dst = np.moveaxis(ob[i], s, 0)
            dst[:n] = src[:n][::-1]
        return [out]

    return run


@kernel("PADDING", "IPaddingLayer")
def padding(ctx: LayerContext) -> Kernel:
    """Zero padding of the innermost dims (negative values crop)."""
    pre = tuple(int(v) for v in ctx.layer.pre_padding_nd)
    post = tuple(int(v) for v in ctx.layer.post_padding_nd)

    def run(args: list) -> list:
        x = args[0]
        lead = x.ndim - len(pre)
        widths = [(0, 0)] * lead + [(max(a, 0), max(b, 0)) for a, b in zip(pre, post)]
        out = np.pad(x, widths)
        crop = [slice(None)] * lead + [
            slice(max(-a, 0), out.shape[lead + i] - max(-b, 0)) for i, (a, b) in enumerate(zip(pre, post))
        ]
        return [out[tuple(crop)]]

    return run


def _weights(value: object) -> np.ndarray | None:
    """A layer's trt.Weights (or ndarray) as a flat ndarray; None when empty."""
    if value is not None and hasattr(value, "numpy"):
        value = value.numpy()
    array = None if value is None else np.asarray(value)
    return None if array is None or array.size == 0 else array


def _explicit_padding(ctx: LayerContext, rank: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """pre/post padding of a convolution or pooling layer; only EXPLICIT_ROUND_DOWN (ONNX's pads)."""
    mode = _enum(ctx.layer.padding_mode)
    if mode != "EXPLICIT_ROUND_DOWN":
        raise ctx.unsupported(f"PaddingMode.{mode} is not implemented (EXPLICIT_ROUND_DOWN is)")
    pre, post = tuple(int(v) for v in ctx.layer.pre_padding), tuple(int(v) for v in ctx.layer.post_padding)
    if len(pre) != rank or len(post) != rank:
        raise ctx.unsupported(f"padding of rank {len(pre)} for a {rank}-D window is not implemented")
    return pre, post


def _windows(
    x: np.ndarray, window: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]
) -> np.ndarray:
    """`x` [N, C, *spatial] as [N, C, *out_spatial, *window] views (dilated, strided)."""
    rank = len(window)
    span = tuple((k - 1) * d + 1 for k, d in zip(window, dilation, strict=True))
    views = np.lib.stride_tricks.sliding_window_view(x, span, axis=tuple(range(2, 2 + rank)))
    index = (Ellipsis, *(slice(None, None, d) for d in dilation))
    views = views[index]  # the dilated taps
    strided = (slice(None), slice(None), *(slice(None, None, s) for s in stride))
    return views[strided]


@kernel("CONVOLUTION", "IConvolutionLayer")
def convolution(ctx: LayerContext) -> Kernel:
    """Cross-correlation over the innermost len(kernel_size_nd) dims of [N, C, *spatial], with groups,
    stride, dilation and explicit pre/post zero padding; kernel [K, C/groups, *window] and bias [K]
    from the layer's weights or from inputs 1 and 2."""
    window = tuple(int(v) for v in ctx.layer.kernel_size_nd)
    stride = tuple(int(v) for v in ctx.layer.stride_nd)
    dilation = tuple(int(v) for v in ctx.layer.dilation_nd)
    groups, maps = int(ctx.layer.num_groups), int(ctx.layer.num_output_maps)
    pre, post = _explicit_padding(ctx, len(window))
    kernel_w, bias_w = _weights(ctx.layer.kernel), _weights(ctx.layer.bias)

    def run(args: list) -> list:
        x = args[0]
        w = args[1] if len(args) > 1 and args[1] is not None else kernel_w
        bias = args[2] if len(args) > 2 and args[2] is not None else bias_w
        if w is None:
            raise ctx.unsupported("no kernel weights")
        per_group = x.shape[1] // groups
        w = np.asarray(w).reshape(maps, per_group, *window)
        padded = np.pad(x, [(0, 0), (0, 0), *zip(pre, post, strict=True)])
        taps = _windows(padded, window, stride, dilation)  # [N, C, *out, *window]
        spatial = "".join("xyzw"[: len(window)])
        kdims = "".join("abcd"[: len(window)])
        outs = []
        for g in range(groups):
            part = taps[:, g * per_group : (g + 1) * per_group]
            wg = w[g * (maps // groups) : (g + 1) * (maps // groups)]
            outs.append(np.einsum(f"nc{spatial}{kdims},kc{kdims}->nk{spatial}", part, wg))
        out = np.concatenate(outs, axis=1)
        if bias is not None:
            out = out + np.asarray(bias).reshape(1, maps, *([1] * len(window)))
        return [out.astype(x.dtype, copy=False)]

    return run


@kernel("POOLING", "IPoolingLayer")
def pooling(ctx: LayerContext) -> Kernel:
    """MAX or AVERAGE over windows of the innermost dims of [N, C, *spatial]; explicit padding (MAX pads
    with -inf; AVERAGE divides by the window, or by its unpadded part with
    average_count_excludes_padding)."""
    kind = _enum(ctx.layer.type)
    if kind not in ("MAX", "AVERAGE"):
        raise ctx.unsupported(f"PoolingType.{kind} is not implemented")
    window = tuple(int(v) for v in ctx.layer.window_size_nd)
    stride = tuple(int(v) for v in ctx.layer.stride_nd)
    pre, post = _explicit_padding(ctx, len(window))
    excludes = bool(ctx.layer.average_count_excludes_padding)
    axes = tuple(range(-len(window), 0))
    ones = (1,) * len(window)

    def run(args: list) -> list:
        x = args[0]
        pads = [(0, 0), (0, 0), *zip(pre, post, strict=True)]
        if kind == "MAX":
            taps = _windows(np.pad(x, pads, constant_values=-np.inf), window, stride, ones)
            return [taps.max(axis=axes).astype(x.dtype, copy=False)]
        taps = _windows(np.pad(x, pads), window, stride, ones)
        total = taps.sum(axis=axes)
        if excludes and any(pre + post):
            count = _windows(np.pad(np.ones_like(x), pads), window, stride, ones).sum(axis=axes)
        else:
            count = np.prod(window)
        return [(total / count).astype(x.dtype, copy=False)]

    return run


@kernel("ONE_HOT", "IOneHotLayer")
def one_hot(ctx: LayerContext) -> Kernel:
    axis = int(ctx.layer.axis)

    def run(args: list) -> list:
        idx, values, depth = args[0].astype(np.int64), args[1], int(np.asarray(args[2]).reshape(()))
        idx = np.where(idx < 0, idx + depth, idx)
        ax = axis + idx.ndim + 1 if axis < 0 else axis
        hot = np.expand_dims(idx, ax) == np.arange(depth).reshape((-1,) + (1,) * (idx.ndim - ax))
        return [np.where(hot, values[1], values[0]).astype(values.dtype)]

    return run


@kernel("NON_ZERO", "INonZeroLayer")
def non_zero(ctx: LayerContext) -> Kernel:
    dtype = ctx.out_dtypes[0]
    return lambda args: [np.array(np.nonzero(args[0]), dtype=dtype).reshape(args[0].ndim, -1)]


@kernel("ASSERTION", "IAssertionLayer")
def assertion(ctx: LayerContext) -> Kernel:
    message = str(ctx.layer.message)

    def run(args: list) -> list:
        if not np.all(args[0]):
            raise TrtrnnError(f"ASSERTION layer {ctx.name!r} failed: {message}")
        return []

    return run


@kernel("CONDITIONAL_INPUT", "IIfConditionalInputLayer")
def conditional_input(ctx: LayerContext) -> Kernel:
    return lambda args: [args[0]]
