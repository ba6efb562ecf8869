"""Per-layer checks of the CPU evaluator against TensorRT's documented semantics.

Every expectation is either a value worked out by hand from NvInfer.h's definition (quoted in the
test) or plain numpy written from that definition -- never the evaluator's own output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from trtrnn import evaluate, trt
from trtrnn.errors import ShapeError, TrtrnnError, UnsupportedLayerError
from trtrnn.network import serialize_network

if not trt.available():
    pytest.skip("no TensorRT flavor installed", allow_module_level=True)

T = trt.load()
TRT_DTYPE = {
    np.dtype(np.float32): T.float32,
    np.dtype(np.float16): T.float16,
    np.dtype(np.int32): T.int32,
    np.dtype(np.int64): T.int64,
    np.dtype(np.bool_): T.bool,
}


class Net:
    """A fresh network with helpers to declare inputs/constants and evaluate chosen tensors."""

    def __init__(self) -> None:
        self.builder, self.network = trt.create_network()
        self.feeds: dict[str, np.ndarray] = {}
        self.keep: list[np.ndarray] = []

    def input(self, name: str, value: np.ndarray, shape: tuple[int, ...] | None = None) -> object:
        value = np.asarray(value)
        self.feeds[name] = value
        return self.network.add_input(name, TRT_DTYPE[value.dtype], value.shape if shape is None else shape)

    def const(self, value: object, dtype: object = None) -> object:
        array = np.array(value, dtype=dtype, order="C")  # ascontiguousarray would make 0-D 1-D
        self.keep.append(array)
        return self.network.add_constant(array.shape, array).get_output(0)

    def run(self, *tensors: object) -> list[np.ndarray]:
        for i, tensor in enumerate(tensors):
            tensor.name = f"out{i}"
            self.network.mark_output(tensor)
        got = evaluate(self.network, self.feeds)
        return [got[f"out{i}"] for i in range(len(tensors))]


def run1(net: Net, tensor: object) -> np.ndarray:
    (value,) = net.run(tensor)
    return value


RNG = np.random.default_rng(7)
X234 = RNG.standard_normal((2, 3, 4)).astype(np.float32)


# --- constant, shape, identity, cast, fill ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [np.arange(6, dtype=np.int64).reshape(2, 3), np.array([True, False]), np.array(3, np.int32), X234],
    ids=["int64", "bool", "scalar", "float32"],
)
def test_constant_is_its_weights_in_its_shape(value):
    net = Net()
    got = run1(net, net.const(value))
    assert got.dtype == value.dtype and got.shape == value.shape
    np.testing.assert_array_equal(got, value)


def test_shape_gives_int64_dims_of_the_fed_array():
    net = Net()
    x = net.input("x", np.zeros((5, 3), np.float32), shape=(-1, 3))
    got = run1(net, net.network.add_shape(x).get_output(0))
    np.testing.assert_array_equal(got, [5, 3])
    assert got.dtype == np.int64


def test_identity_copies_and_cast_truncates_toward_zero():
    net = Net()
    x = net.input("x", np.array([-1.7, -0.2, 0.0, 0.5, 2.9], np.float32))
    ident = net.network.add_identity(x).get_output(0)
    to_int = net.network.add_cast(x, T.int32).get_output(0)
    to_bool = net.network.add_cast(x, T.bool).get_output(0)
    a, b, c = net.run(ident, to_int, to_bool)
    np.testing.assert_array_equal(a, net.feeds["x"])
    np.testing.assert_array_equal(b, [-1, 0, 0, 0, 2])
    assert b.dtype == np.int32
    np.testing.assert_array_equal(c, [True, True, False, True, True])


def test_fill_linspace_static_alpha_beta():
    net = Net()
    layer = net.network.add_fill((5,), T.FillOperation.LINSPACE, T.float32)
    layer.alpha, layer.beta = 2.0, 0.5
    np.testing.assert_array_equal(run1(net, layer.get_output(0)), [2.0, 2.5, 3.0, 3.5, 4.0])


def test_fill_linspace_nvinfer_example():
    """NvInfer.h: shape [3,4], alpha 1, beta [100, 10] -> rows 1 11 21 31 / 101 ... / 201 ..."""
    net = Net()
    layer = net.network.add_fill((3, 4), T.FillOperation.LINSPACE, T.int32)
    layer.set_input(0, net.const([3, 4], np.int32))
    layer.set_input(1, net.const(1, np.int32))
    layer.set_input(2, net.const([100, 10], np.int32))
    got = run1(net, layer.get_output(0))
    np.testing.assert_array_equal(got, [[1, 11, 21, 31], [101, 111, 121, 131], [201, 211, 221, 231]])


def test_fill_random_is_refused_with_the_layer_named():
    net = Net()
    layer = net.network.add_fill((4,), T.FillOperation.RANDOM_UNIFORM, T.float32)
    layer.name = "noise"
    with pytest.raises(UnsupportedLayerError, match=r"FILL layer 'noise'.*RANDOM_UNIFORM"):
        run1(net, layer.get_output(0))


# --- matrix multiply --------------------------------------------------------------------------------


MM = T.MatrixOperation


@pytest.mark.parametrize(
    ("op0", "op1", "a_shape", "b_shape", "expected"),
    [
        (MM.NONE, MM.NONE, (2, 3, 4), (2, 4, 5), lambda a, b: a @ b),
        (MM.TRANSPOSE, MM.NONE, (2, 4, 3), (2, 4, 5), lambda a, b: a.transpose(0, 2, 1) @ b),
        (MM.NONE, MM.TRANSPOSE, (2, 3, 4), (2, 5, 4), lambda a, b: a @ b.transpose(0, 2, 1)),
        (MM.NONE, MM.NONE, (1, 3, 4), (6, 4, 5), lambda a, b: np.stack([a[0] @ b[i] for i in range(6)])),
        # input 0 [M,K] VECTOR = M row vectors; input 1 [K,N] matrix -> [M,N] with the vector dim dropped
        (MM.VECTOR, MM.NONE, (2, 4), (2, 4, 5), lambda a, b: np.stack([a[i] @ b[i] for i in range(2)])),
        (MM.NONE, MM.VECTOR, (2, 3, 4), (2, 4), lambda a, b: np.stack([a[i] @ b[i] for i in range(2)])),
        (MM.VECTOR, MM.VECTOR, (3, 4), (3, 4), lambda a, b: np.array([a[i] @ b[i] for i in range(3)])),
    ],
    ids=["none", "transpose0", "transpose1", "broadcast", "vector0", "vector1", "vector-vector"],
)
def test_matrix_multiply(op0, op1, a_shape, b_shape, expected):
    a = RNG.standard_normal(a_shape).astype(np.float32)
    b = RNG.standard_normal(b_shape).astype(np.float32)
    net = Net()
    out = net.network.add_matrix_multiply(net.input("a", a), op0, net.input("b", b), op1).get_output(0)
    got = run1(net, out)
    want = expected(a.astype(np.float64), b.astype(np.float64))
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# --- elementwise, unary, activation, select ------------------------------------------------------


EW = T.ElementWiseOperation


@pytest.mark.parametrize(
    ("op", "a", "b", "want"),
    [
        (EW.SUM, [1.5, -2.0], [0.5, 4.0], [2.0, 2.0]),
        (EW.PROD, [1.5, -2.0], [2.0, 4.0], [3.0, -8.0]),
        (EW.MAX, [1.5, -2.0], [0.5, 4.0], [1.5, 4.0]),
        (EW.MIN, [1.5, -2.0], [0.5, 4.0], [0.5, -2.0]),
        (EW.SUB, [1.5, -2.0], [0.5, 4.0], [1.0, -6.0]),
        (EW.DIV, [1.5, -2.0], [0.5, 4.0], [3.0, -0.5]),
        (EW.POW, [2.0, 9.0], [3.0, 0.5], [8.0, 3.0]),
        (EW.FLOOR_DIV, [7.0, -7.0], [2.0, 2.0], [3.0, -4.0]),
        (EW.DIV, np.int32([7, -7, 7]), np.int32([2, 2, -2]), np.int32([3, -3, -3])),  # C++: toward zero
        (EW.FLOOR_DIV, np.int32([7, -7]), np.int32([2, 2]), np.int32([3, -4])),
        (EW.AND, [True, True, False], [True, False, False], [True, False, False]),
        (EW.OR, [True, True, False], [True, False, False], [True, True, False]),
        (EW.XOR, [True, True, False], [True, False, False], [False, True, False]),
        (EW.EQUAL, [1.0, 2.0], [1.0, 3.0], [True, False]),
        (EW.GREATER, [1.0, 3.0], [1.0, 2.0], [False, True]),
        (EW.LESS, np.int32([1, 3]), np.int32([2, 2]), [True, False]),
    ],
    ids=lambda v: getattr(v, "name", None),
)
def test_elementwise(op, a, b, want):
    a = np.asarray(a, np.float32) if isinstance(a, list) and isinstance(a[0], float) else np.asarray(a)
    b = np.asarray(b, a.dtype)
    net = Net()
    got = run1(net, net.network.add_elementwise(net.input("a", a), net.input("b", b), op).get_output(0))
    want = np.asarray(want)
    assert got.dtype == (np.bool_ if want.dtype == np.bool_ else a.dtype)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_elementwise_broadcasts_length_one_dims():
    a = RNG.standard_normal((2, 1, 4)).astype(np.float32)
    b = RNG.standard_normal((1, 3, 4)).astype(np.float32)
    net = Net()
    got = run1(net, net.network.add_elementwise(net.input("a", a), net.input("b", b), EW.SUM).get_output(0))
    want = np.array([[[a[i, 0, k] + b[0, j, k] for k in range(4)] for j in range(3)] for i in range(2)])
    np.testing.assert_allclose(got, want, rtol=1e-6)


UN = T.UnaryOperation
UNARY_X = np.array([-2.5, -0.5, 0.25, 0.5, 1.5, 2.5], np.float32)
UNARY_CASES = {
    "EXP": (UNARY_X, math.exp),
    "LOG": (np.abs(UNARY_X), math.log),
    "SQRT": (np.abs(UNARY_X), math.sqrt),
    "RECIP": (UNARY_X, lambda v: 1 / v),
    "ABS": (UNARY_X, abs),
    "NEG": (UNARY_X, lambda v: -v),
    "SIN": (UNARY_X, math.sin),
    "COS": (UNARY_X, math.cos),
    "TAN": (UNARY_X, math.tan),
    "SINH": (UNARY_X, math.sinh),
    "COSH": (UNARY_X, math.cosh),
    "ASIN": (UNARY_X / 3, math.asin),
    "ACOS": (UNARY_X / 3, math.acos),
    "ATAN": (UNARY_X, math.atan),
    "ASINH": (UNARY_X, math.asinh),
    "ACOSH": (np.abs(UNARY_X) + 1, math.acosh),
    "ATANH": (UNARY_X / 3, math.atanh),
    "CEIL": (UNARY_X, math.ceil),
    "FLOOR": (UNARY_X, math.floor),
    "ERF": (UNARY_X, math.erf),
    "SIGN": (np.array([-3.0, 0.0, 2.0], np.float32), lambda v: (v > 0) - (v < 0)),
    # "Round to nearest even": -2.5 -> -2, -0.5 -> -0, 0.5 -> 0, 1.5 -> 2, 2.5 -> 2
    "ROUND": (UNARY_X, lambda v: {-2.5: -2, -0.5: 0, 0.25: 0, 0.5: 0, 1.5: 2, 2.5: 2}[v]),
}


@pytest.mark.parametrize("name", sorted(UNARY_CASES))
def test_unary(name):
    x, f = UNARY_CASES[name]
    net = Net()
    got = run1(net, net.network.add_unary(net.input("x", x), getattr(UN, name)).get_output(0))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [f(float(v)) for v in x], rtol=2e-6, atol=1e-7)


def test_unary_logical_and_classification():
    net = Net()
    b = net.input("b", np.array([True, False]))
    f = net.input("f", np.array([np.inf, -np.inf, np.nan, 1.0], np.float32))
    outs = net.run(
        net.network.add_unary(b, UN.NOT).get_output(0),
        net.network.add_unary(f, UN.ISINF).get_output(0),
        net.network.add_unary(f, UN.ISNAN).get_output(0),
    )
    np.testing.assert_array_equal(outs[0], [False, True])
    np.testing.assert_array_equal(outs[1], [True, True, False, False])
    np.testing.assert_array_equal(outs[2], [False, False, True, False])


AT = T.ActivationType
ACT_X = np.array([-3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0], np.float32)
ALPHA, BETA = 0.3, 1.7
#: NvInfer.h ActivationType formulas, written out per element.
ACTIVATIONS = {
    "RELU": lambda x: max(x, 0.0),
    "SIGMOID": lambda x: 1 / (1 + math.exp(-x)),
    "TANH": math.tanh,
    "LEAKY_RELU": lambda x: x if x >= 0 else ALPHA * x,
    "ELU": lambda x: x if x >= 0 else ALPHA * (math.exp(x) - 1),
    "SELU": lambda x: BETA * x if x > 0 else BETA * (ALPHA * math.exp(x) - ALPHA),
    "SOFTSIGN": lambda x: x / (1 + abs(x)),
    "SOFTPLUS": lambda x: ALPHA * math.log(math.exp(BETA * x) + 1),
    "CLIP": lambda x: max(ALPHA, min(BETA, x)),
    "HARD_SIGMOID": lambda x: max(0.0, min(1.0, ALPHA * x + BETA)),
    "SCALED_TANH": lambda x: ALPHA * math.tanh(BETA * x),
    "THRESHOLDED_RELU": lambda x: x if x > ALPHA else 0.0,
    "GELU_ERF": lambda x: 0.5 * x * (1 + math.erf(math.sqrt(0.5) * x)),
    "GELU_TANH": lambda x: 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (0.044715 * x**3 + x))),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_with_alpha_beta(name):
    net = Net()
    layer = net.network.add_activation(net.input("x", ACT_X), getattr(AT, name))
    layer.alpha, layer.beta = ALPHA, BETA
    got = run1(net, layer.get_output(0))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [ACTIVATIONS[name](float(v)) for v in ACT_X], rtol=2e-6, atol=1e-7)


def test_parametric_relu_and_select():
    net = Net()
    x = net.input("x", np.array([[-2.0, 3.0], [4.0, -1.0]], np.float32))
    slopes = net.const([[0.5, 0.5], [0.1, 0.1]], np.float32)
    cond = net.input("c", np.array([[True, False], [False, True]]))
    prelu = net.network.add_parametric_relu(x, slopes).get_output(0)
    sel = net.network.add_select(cond, x, prelu).get_output(0)
    a, b = net.run(prelu, sel)
    np.testing.assert_allclose(a, [[-1.0, 3.0], [4.0, -0.1]], rtol=1e-6)
    np.testing.assert_allclose(b, [[-2.0, 3.0], [4.0, -1.0]], rtol=1e-6)


# --- shuffle, squeeze, unsqueeze, concatenation -------------------------------------------------


def test_shuffle_transpose_uses_numpy_order():
    """NvInfer.h: CHW -> HWC is permutation [1, 2, 0]."""
    net = Net()
    layer = net.network.add_shuffle(net.input("x", X234))
    layer.first_transpose = (1, 2, 0)
    got = run1(net, layer.get_output(0))
    assert got.shape == (3, 4, 2)
    assert got[2, 3, 1] == X234[1, 2, 3]


def test_shuffle_reshape_placeholder_inferred_and_second_transpose():
    net = Net()
    layer = net.network.add_shuffle(net.input("x", X234))
    layer.first_transpose = (0, 2, 1)  # (2, 4, 3)
    layer.reshape_dims = (0, -1)  # 0 copies dim 0 -> (2, 12)
    layer.second_transpose = (1, 0)  # (12, 2)
    got = run1(net, layer.get_output(0))
    np.testing.assert_array_equal(got, X234.transpose(0, 2, 1).reshape(2, 12).T)


def test_shuffle_zero_is_literal_when_placeholder_off():
    net = Net()
    layer = net.network.add_shuffle(net.input("x", np.zeros((0, 3), np.float32)))
    layer.zero_is_placeholder = False
    layer.reshape_dims = (3, 0)
    assert run1(net, layer.get_output(0)).shape == (3, 0)


def test_shuffle_dynamic_reshape_input():
    net = Net()
    x = net.input("x", X234, shape=(-1, 3, 4))
    layer = net.network.add_shuffle(x)
    layer.set_input(1, net.const([4, 6], np.int32))
    np.testing.assert_array_equal(run1(net, layer.get_output(0)), X234.reshape(4, 6))


def test_squeeze_unsqueeze_concatenation():
    net = Net()
    x = net.input("x", np.arange(6, dtype=np.float32).reshape(1, 2, 3))
    sq = net.network.add_squeeze(x, net.const([0], np.int32)).get_output(0)
    unsq = net.network.add_unsqueeze(sq, net.const([0, -1], np.int64)).get_output(0)
    cat = net.network.add_concatenation([x, x])
    cat.axis = 2
    a, b, c = net.run(sq, unsq, cat.get_output(0))
    assert a.shape == (2, 3) and b.shape == (1, 2, 3, 1) and c.shape == (1, 2, 6)
    np.testing.assert_array_equal(c[0, 1], [3, 4, 5, 3, 4, 5])


# --- slice ---------------------------------------------------------------------------------------


def test_slice_nvinfer_examples():
    """NvInfer.h: input {{0,2,4},{1,3,5}}; start {1,0} size {1,2} stride {1,2} -> {{1,5}};
    with axes {1}: start {1} size {2} stride {1} -> {{2,4},{3,5}}."""
    data = np.array([[0, 2, 4], [1, 3, 5]], np.float32)
    net = Net()
    x = net.input("x", data)
    first = net.network.add_slice(x, (1, 0), (1, 2), (1, 2)).get_output(0)
    second = net.network.add_slice(x, (1,), (2,), (1,))
    second.axes = (1,)
    a, b = net.run(first, second.get_output(0))
    np.testing.assert_array_equal(a, [[1, 5]])
    np.testing.assert_array_equal(b, [[2, 4], [3, 5]])


def test_slice_dynamic_start_size_stride_and_negative_stride():
    data = np.arange(10, dtype=np.float32)
    net = Net()
    layer = net.network.add_slice(net.input("x", data), (0,), (1,), (1,))
    layer.set_input(1, net.const([8], np.int32))
    layer.set_input(2, net.const([3], np.int32))
    layer.set_input(3, net.const([-3], np.int32))
    np.testing.assert_array_equal(run1(net, layer.get_output(0)), [8, 5, 2])


@pytest.mark.parametrize(
    ("mode", "want"),
    [
        ("WRAP", [3, 4, 0, 1, 2, 3, 4, 0]),  # index mod 5
        ("CLAMP", [0, 0, 0, 1, 2, 3, 4, 4]),
        ("FILL", [9, 9, 0, 1, 2, 3, 4, 9]),
        ("REFLECT", [2, 1, 0, 1, 2, 3, 4, 3]),  # mirror about the edge elements
    ],
)
def test_slice_sample_modes(mode, want):
    data = np.arange(5, dtype=np.float32)
    net = Net()
    layer = net.network.add_slice(net.input("x", data), (-2,), (8,), (1,))
    layer.mode = getattr(T.SampleMode, mode)
    if mode == "FILL":
        layer.set_input(4, net.const(9.0, np.float32))
    np.testing.assert_array_equal(run1(net, layer.get_output(0)), want)


def test_slice_strict_bounds_violation_is_an_error():
    net = Net()
    layer = net.network.add_slice(net.input("x", np.arange(5, dtype=np.float32)), (0,), (1,), (1,))
    layer.set_input(1, net.const([3], np.int32))
    layer.set_input(2, net.const([4], np.int32))
    with pytest.raises(ShapeError, match="STRICT_BOUNDS"):
        run1(net, layer.get_output(0))


# --- gather, reduce, reverse sequence, misc ------------------------------------------------------


def test_gather_default_with_negative_and_out_of_bounds_indices():
    """Negative indices count from the end; NvInfer.h: 'Zero will be stored for OOB access'."""
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    net = Net()
    layer = net.network.add_gather(net.input("x", data), net.const([[3, -1], [7, 0]], np.int32), 1)
    got = run1(net, layer.get_output(0))
    assert got.shape == (3, 2, 2)
    np.testing.assert_array_equal(got[1], [[7, 7], [0, 4]])


def test_gather_elementwise_dim_element_and_nd_modes():
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    net = Net()
    x = net.input("x", data)
    ew = net.network.add_gather(x, net.const([[2, 0], [1, 1]], np.int32), 1)
    ew.num_elementwise_dims = 1
    element = net.network.add_gather_v2(x, net.const(np.zeros((2, 3, 4), np.int32) + 2), T.GatherMode.ELEMENT)
    element.axis = 1
    nd = net.network.add_gather_v2(x, net.const([[1, 2], [0, 1]], np.int32), T.GatherMode.ND)
    a, b, c = net.run(ew.get_output(0), element.get_output(0), nd.get_output(0))
    np.testing.assert_array_equal(a, np.stack([data[0][[2, 0]], data[1][[1, 1]]]))
    np.testing.assert_array_equal(b, np.repeat(data[:, 2:3, :], 3, axis=1))
    np.testing.assert_array_equal(c, [data[1, 2], data[0, 1]])


@pytest.mark.parametrize(
    ("op", "fn"),
    [("SUM", np.sum), ("PROD", np.prod), ("MAX", np.max), ("MIN", np.min), ("AVG", np.mean)],
)
@pytest.mark.parametrize("keep", [False, True])
def test_reduce_over_bitmask_axes(op, fn, keep):
    net = Net()
    layer = net.network.add_reduce(net.input("x", X234), getattr(T.ReduceOperation, op), 0b101, keep)
    got = run1(net, layer.get_output(0))
    want = fn(X234.astype(np.float64), axis=(0, 2), keepdims=keep)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_reverse_sequence_reverses_each_prefix():
    """Defaults: batch axis 1, sequence axis 0; slice i reverses its first lens[i] elements."""
    data = np.array([[1, 10, 100], [2, 20, 200], [3, 30, 300]], np.float32)  # [seq, batch]
    net = Net()
    layer = net.network.add_reverse_sequence(net.input("x", data), net.const([3, 2, 1], np.int32))
    got = run1(net, layer.get_output(0))
    np.testing.assert_array_equal(got, [[3, 20, 100], [2, 10, 200], [1, 30, 300]])


def test_softmax_einsum_topk_cumulative_padding():
    net = Net()
    x = net.input("x", X234)
    sm = net.network.add_softmax(x)
    sm.axes = 1 << 2
    es = net.network.add_einsum([x, x], "ijk,ilk->ijl").get_output(0)
    tk = net.network.add_topk(x, T.TopKOperation.MAX, 2, 1 << 2)
    cs = net.network.add_cumulative(x, net.const(1, np.int32), T.CumulativeOperation.SUM, True, True)
    x4 = net.network.add_shuffle(x)
    x4.reshape_dims = (1, 2, 3, 4)
    pad = net.network.add_padding_nd(x4.get_output(0), (1, -1), (0, 2)).get_output(0)
    a, b, values, indices, c, d = net.run(
        sm.get_output(0), es, tk.get_output(0), tk.get_output(1), cs.get_output(0), pad
    )
    e = np.exp(X234 - X234.max(axis=2, keepdims=True))
    np.testing.assert_allclose(a, e / e.sum(axis=2, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(b, np.einsum("ijk,ilk->ijl", X234, X234), rtol=1e-5, atol=1e-6)
    order = np.argsort(-X234, axis=2)[..., :2]
    np.testing.assert_array_equal(indices, order)
    np.testing.assert_array_equal(values, np.take_along_axis(X234, order, axis=2))
    # exclusive reverse running sum along axis 1: out[:, j] = sum of x[:, j+1:]
    want = np.stack([X234[:, j + 1 :].sum(axis=1) for j in range(3)], axis=1)
    np.testing.assert_allclose(c, want, rtol=1e-5, atol=1e-6)
    # pre (1, -1), post (0, 2) on the last two dims: one zero row on top, first column cropped,
    # two zero columns on the right
    want_pad = np.zeros((1, 2, 4, 5), np.float32)
    want_pad[0, :, 1:, :3] = X234[:, :, 1:]
    np.testing.assert_array_equal(d, want_pad)


@pytest.mark.parametrize("axis", [0, -1])
def test_one_hot(axis):
    """NvInfer.h, axis 0: output[indices[i, j], i, j] = on_value, off_value elsewhere."""
    idx = np.array([[0, 2], [1, -1]], np.int32)  # -1 counts from the end of depth 3
    net = Net()
    layer = net.network.add_one_hot(
        net.input("i", idx), net.const([-1.0, 5.0], np.float32), net.const(np.array(3, np.int32)), axis
    )
    got = run1(net, layer.get_output(0))
    want = np.full((3, 2, 2), -1.0, np.float32)
    for i in range(2):
        for j in range(2):
            want[idx[i, j] % 3, i, j] = 5.0
    np.testing.assert_array_equal(got, want if axis == 0 else np.moveaxis(want, 0, -1))


def test_non_zero_and_scale():
    net = Net()
    nz = net.network.add_non_zero(net.input("b", np.array([[0, 3], [4, 0]], np.int32))).get_output(0)
    x = RNG.standard_normal((1, 2, 2, 3)).astype(np.float32)
    keep = [np.array(v, np.float32) for v in ([1.0, -1.0], [2.0, 0.5], [1.0, 2.0])]
    net.keep += keep
    shift, scale, power = (T.Weights(v) for v in keep)
    layer = net.network.add_scale_nd(net.input("x", x), T.ScaleMode.CHANNEL, shift, scale, power, 1)
    a, b = net.run(nz, layer.get_output(0))
    np.testing.assert_array_equal(a, [[0, 1], [1, 0]])  # rows: coordinates per dim, columns: hits
    # output = (input * scale + shift) ^ power, per channel along axis 1
    want = np.stack([(x[:, 0] * 2.0 + 1.0) ** 1.0, (x[:, 1] * 0.5 - 1.0) ** 2.0], axis=1)
    np.testing.assert_allclose(b, want, rtol=1e-5)


# --- loops ------------------------------------------------------------------------------------------


def _running_sum_loop(net: Net, x: object, count: int, reverse: bool, axis: int = 0):
    loop = net.network.add_loop()
    n = net.const(count, np.int32)
    loop.add_trip_limit(n, T.TripLimit.COUNT)
    it = loop.add_iterator(x, axis, reverse)
    item_shape = tuple(d for i, d in enumerate(x.shape) if i != axis)
    rec = loop.add_recurrence(net.const(np.zeros(item_shape, np.float32)))
    total = net.network.add_elementwise(rec.get_output(0), it.get_output(0), EW.SUM).get_output(0)
    rec.set_input(1, total)
    last = loop.add_loop_output(rec.get_output(0), T.LoopOutput.LAST_VALUE).get_output(0)
    cat = loop.add_loop_output(total, T.LoopOutput.CONCATENATE, 1)
    cat.set_input(1, n)
    rev = loop.add_loop_output(rec.get_output(0), T.LoopOutput.REVERSE, 0)
    rev.set_input(1, n)
    return last, cat.get_output(0), rev.get_output(0)


@pytest.mark.parametrize("reverse", [False, True])
def test_loop_count_iterator_recurrence_and_outputs(reverse):
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    net = Net()
    last, cat, rev = net.run(*_running_sum_loop(net, net.input("x", data), 4, reverse))
    items = data[::-1] if reverse else data  # reverse reads M-1-i
    sums = np.cumsum(items, axis=0)
    np.testing.assert_array_equal(last, sums[-1])  # LAST_VALUE: after the last iteration
    np.testing.assert_array_equal(cat, sums.T)  # CONCATENATE on axis 1: [3, 4]
    # REVERSE stacks the recurrence's per-iteration value (0, s0, s1, s2) in reverse order
    before = np.concatenate([np.zeros((1, 3), np.float32), sums[:-1]])
    np.testing.assert_array_equal(rev, before[::-1])


def test_loop_iterator_on_inner_axis():
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    net = Net()
    last, _, _ = net.run(*_running_sum_loop(net, net.input("x", data), 4, False, axis=1))
    np.testing.assert_array_equal(last, data.sum(axis=1))


def test_loop_while_trip_limit_counts_until_false():
    """WHILE: the loop runs while the condition computed from the recurrences is true."""
    net = Net()
    loop = net.network.add_loop()
    counter = loop.add_recurrence(net.const(np.array(0, np.int32)))
    cond = net.network.add_elementwise(counter.get_output(0), net.const(np.array(5, np.int32)), EW.LESS)
    loop.add_trip_limit(cond.get_output(0), T.TripLimit.WHILE)
    step = net.network.add_elementwise(counter.get_output(0), net.const(np.array(2, np.int32)), EW.SUM)
    counter.set_input(1, step.get_output(0))
    out = loop.add_loop_output(counter.get_output(0), T.LoopOutput.LAST_VALUE).get_output(0)
    assert int(run1(net, out)) == 6  # 0 -> 2 -> 4 -> 6, stops when 6 < 5 is false


def test_nested_loop_with_trip_count_from_the_outer_body():
    """Outer iteration i sums the first i+1 items of row i with an inner loop."""
    data = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
    net = Net()
    outer = net.network.add_loop()
    rows = net.const(np.array(3, np.int32))
    outer.add_trip_limit(rows, T.TripLimit.COUNT)
    row = outer.add_iterator(net.input("x", data), 0, False).get_output(0)
    i = outer.add_recurrence(net.const(np.array(0, np.int32)))
    i_next = net.network.add_elementwise(
        i.get_output(0), net.const(np.array(1, np.int32)), EW.SUM
    ).get_output(0)
    i.set_input(1, i_next)
    inner = net.network.add_loop()
    inner.add_trip_limit(i_next, T.TripLimit.COUNT)  # i + 1 items
    item = inner.add_iterator(row, 0, False).get_output(0)
    acc = inner.add_recurrence(net.const(np.array(0.0, np.float32)))
    acc.set_input(1, net.network.add_elementwise(acc.get_output(0), item, EW.SUM).get_output(0))
    prefix_sum = inner.add_loop_output(acc.get_output(0), T.LoopOutput.LAST_VALUE).get_output(0)
    out = outer.add_loop_output(prefix_sum, T.LoopOutput.CONCATENATE, 0)
    out.set_input(1, rows)
    np.testing.assert_array_equal(run1(net, out.get_output(0)), [1.0, 5 + 6, 9 + 10 + 11])

    from trtrnn.inspect import describe

    assert "nested in" in describe(net.network)


def test_concatenate_length_must_match_iterations():
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    net = Net()
    loop = net.network.add_loop()
    loop.add_trip_limit(net.const(4, np.int32), T.TripLimit.COUNT)
    it = loop.add_iterator(net.input("x", data), 0, False)
    out = loop.add_loop_output(it.get_output(0), T.LoopOutput.CONCATENATE, 0)
    out.set_input(1, net.const(5, np.int32))
    with pytest.raises(UnsupportedLayerError, match="length input is 5 but the loop ran 4"):
        run1(net, out.get_output(0))


# --- conditional ------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", [True, False])
def test_if_conditional_takes_only_the_chosen_branch(flag):
    net = Net()
    x = net.input("x", np.array([1.0, -2.0], np.float32))
    cond = net.input("c", np.array(flag))
    conditional = net.network.add_if_conditional()
    conditional.set_condition(cond)
    inside = conditional.add_input(x).get_output(0)
    taken = net.network.add_unary(inside, UN.NEG).get_output(0)
    untaken = net.network.add_fill((2,), T.FillOperation.RANDOM_UNIFORM, T.float32).get_output(0)
    true_value, false_value = (taken, untaken) if flag else (untaken, taken)
    out = conditional.add_output(true_value, false_value).get_output(0)
    np.testing.assert_array_equal(run1(net, out), [-1.0, 2.0])


def _loop_with_conditional(untaken: str) -> tuple[Net, object, object]:
    """A 4-step loop over x [4, 2] whose body picks, through a conditional, either the item (when
    `counter < limit`) or `untaken`: "noise" (a RANDOM_UNIFORM fill the evaluator refuses to run,
    shaped by the item, so it lives in the body) or "negated" (-item)."""
    data = np.arange(8, dtype=np.float32).reshape(4, 2)
    net = Net()
    loop = net.network.add_loop()
    n = net.const(np.array(4, np.int32))
    loop.add_trip_limit(n, T.TripLimit.COUNT)
    item = loop.add_iterator(net.input("x", data), 0, False).get_output(0)
    counter = loop.add_recurrence(net.const(np.array(0, np.int32)))
    one = net.const(np.array(1, np.int32))
    counter.set_input(1, net.network.add_elementwise(counter.get_output(0), one, EW.SUM).get_output(0))
    limit = net.const(np.array(9 if untaken == "noise" else 2, np.int32))
    condition = net.network.add_elementwise(counter.get_output(0), limit, EW.LESS).get_output(0)
    conditional = net.network.add_if_conditional()
    conditional.set_condition(condition)
    inside = conditional.add_input(item).get_output(0)
    if untaken == "noise":
        fill = net.network.add_fill((2,), T.FillOperation.RANDOM_UNIFORM, T.float32)
        fill.set_input(0, net.network.add_shape(inside).get_output(0))
        other = fill.get_output(0)
    else:
        other = net.network.add_unary(inside, UN.NEG).get_output(0)
    picked = conditional.add_output(inside, other).get_output(0)
    picked.name = "picked"
    out = loop.add_loop_output(picked, T.LoopOutput.CONCATENATE, 0)
    out.set_input(1, n)
    return net, out.get_output(0), other


def test_if_conditional_inside_a_loop_body():
    """Iterations 0 and 1 take the true branch (copy), 2 and 3 the false branch (negate)."""
    net, out, _ = _loop_with_conditional("negated")
    np.testing.assert_array_equal(run1(net, out), [[0, 1], [2, 3], [-4, -5], [-6, -7]])
    # TensorRT-RTX cannot report this output's shape before a build (it logs an internal error),
    # but its builder accepts the network: the evaluator must not depend on that shape
    assert len(serialize_network(net.builder, net.network)) > 0


def test_a_loop_body_runs_only_the_taken_branch_as_the_top_level_does():
    """TensorRT executes the true subgraph when the condition holds, else the false one (IIfConditional):
    a layer of the untaken branch never runs, inside a loop body as at top level (where
    test_if_conditional_takes_only_the_chosen_branch checks it with the same refused layer)."""
    net, out, _ = _loop_with_conditional("noise")
    np.testing.assert_array_equal(run1(net, out), np.arange(8, dtype=np.float32).reshape(4, 2))


def test_intermediate_returns_every_named_tensor_loop_bodies_stacked_per_iteration():
    net, out, negated = _loop_with_conditional("negated")
    negated.name = "negated"
    out.name = "out0"
    net.network.mark_output(out)
    got = evaluate(net.network, net.feeds, intermediate=True)
    data = net.feeds["x"]
    np.testing.assert_array_equal(got["out0"], evaluate(net.network, net.feeds)["out0"])
    np.testing.assert_array_equal(got["x"], data)
    # the body's tensors, one row per iteration that computed them: the pick every iteration,
    # the negation only in iterations 2 and 3 (the false branch's)
    np.testing.assert_array_equal(got["picked"], [[0, 1], [2, 3], [-4, -5], [-6, -7]])
    np.testing.assert_array_equal(got["negated"], [[-4, -5], [-6, -7]])
    assert set(evaluate(net.network, net.feeds)) == {"out0"}
    names = list(got)  # inputs first, then in the order computed
    assert names[0] == "x" and names.index("picked") < names.index("out0")


def test_assertion_runs_even_when_no_output_needs_it():
    net = Net()
    x = net.input("x", np.array([1.0, -2.0], np.float32))
    positive = net.network.add_elementwise(x, net.const([0.0, 0.0], np.float32), EW.GREATER).get_output(0)
    net.network.add_assertion(positive, "x must be positive")
    out = net.network.add_identity(x).get_output(0)
    with pytest.raises(TrtrnnError, match="x must be positive"):
        run1(net, out)
    net.feeds["x"] = np.array([1.0, 2.0], np.float32)
    np.testing.assert_array_equal(evaluate(net.network, net.feeds)["out0"], [1.0, 2.0])


# --- inputs and refusals -----------------------------------------------------------------------------


def _tanh_net() -> Net:
    net = Net()
    x = net.input("x", np.zeros((2, 3), np.float32), shape=(-1, 3))
    out = net.network.add_activation(x, AT.TANH).get_output(0)
    out.name = "y"
    net.network.mark_output(out)
    return net


def test_dynamic_dims_take_their_length_from_the_array():
    net = _tanh_net()
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(evaluate(net.network, {"x": x})["y"], np.tanh(x), rtol=1e-6)


@pytest.mark.parametrize(
    ("feeds", "match"),
    [
        ({}, r"input 'x': missing"),
        ({"x": np.zeros((2, 4), np.float32)}, r"input 'x': shape \(2, 4\); expected \[-1, 3\]"),
        ({"x": np.zeros((2, 3), np.float64)}, r"input 'x': dtype float64; expected float32"),
        ({"x": np.zeros((2, 3), np.float32), "z": np.zeros(1)}, r"\['z'\] are not inputs"),
    ],
    ids=["missing", "shape", "dtype", "unknown"],
)
def test_bad_inputs_raise_shape_error_naming_the_input(feeds, match):
    with pytest.raises(ShapeError, match=match):
        evaluate(_tanh_net().network, feeds)


def test_unsupported_layer_is_named_only_when_needed():
    net = Net()
    x = net.input("x", np.ones((1, 1, 4, 4), np.float32))
    lrn = net.network.add_lrn(x, 3, 1.0, 0.75, 1.0)  # a layer the evaluator has no kernel for
    lrn.name = "my_lrn"
    ok = net.network.add_activation(x, AT.RELU).get_output(0)
    ok.name = "fine"
    net.network.mark_output(ok)
    assert set(evaluate(net.network, net.feeds)) == {"fine"}  # the unused LRN layer is not needed
    lrn.get_output(0).name = "lrn"
    net.network.mark_output(lrn.get_output(0))
    with pytest.raises(UnsupportedLayerError, match=r"LRN layer 'my_lrn'"):
        evaluate(net.network, net.feeds)


def test_describe_lists_layers_and_loop_membership():
    from trtrnn.inspect import describe

    net = Net()
    last, cat, rev = _running_sum_loop(net, net.input("x", np.zeros((4, 3), np.float32)), 4, False)
    for i, t in enumerate((last, cat, rev)):
        t.name = f"o{i}"
        net.network.mark_output(t)
    text = describe(net.network)
    elementwise_line = next(line for line in text.splitlines() if "ELEMENTWISE" in line)
    assert "[loop '" in elementwise_line
    constant_lines = [line for line in text.splitlines() if " CONSTANT " in line]
    assert constant_lines and all("[loop" not in line for line in constant_lines)
    assert "body (1 layers)" in text


# --- float16 layers: computed in float32, rounded once on output (kernels.widened) ---------------


def test_float16_matmul_accumulates_beyond_float16s_integer_range() -> None:
    """ones(4096) . ones(4096) = 4096, exactly a float16. Summing in float16 would stick at 2048
    (2048 + 1 rounds back to 2048: float16 has 11 significant bits), as fp32-accumulating GEMMs do not."""
    net = Net()
    a = net.input("a", np.ones((1, 4096), np.float16))
    b = net.const(np.ones((4096, 1), np.float16))
    none = T.MatrixOperation.NONE
    got = run1(net, net.network.add_matrix_multiply(a, none, b, none).get_output(0))
    assert got.dtype == np.float16 and got.tolist() == [[4096.0]]


def test_float16_sigmoid_is_rounded_once() -> None:
    """SIGMOID = 1 / (1 + exp(-x)) rounded once to float16: within half a float16 unit (2^-11 relative)
    of the exact value, for every float16 in [-8, 8] (rounding exp, the sum and the quotient each to
    float16 would not be)."""
    x = np.arange(-8, 8, 2**-8, dtype=np.float64).astype(np.float16)
    net = Net()
    act = net.network.add_activation(net.input("x", x), T.ActivationType.SIGMOID)
    got = run1(net, act.get_output(0))
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float64), exact, rtol=2**-11 * (1 + 2**-10), atol=0)


def test_float16_elementwise_keeps_float16_and_rounds_ties_to_even() -> None:
    """1 + 2^-11 lies halfway between the float16s 1 and 1 + 2^-10: IEEE rounds to the even one, 1;
    1 + 3 * 2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9 and goes to 1 + 2^-9."""
    net = Net()
    one = net.input("one", np.ones(2, np.float16))
    tiny = net.const(np.array([2**-11, 3 * 2**-11], np.float16))
    got = run1(net, net.network.add_elementwise(one, tiny, T.ElementWiseOperation.SUM).get_output(0))
    assert got.dtype == np.float16 and got.tolist() == [1.0, 1 + 2**-9]
