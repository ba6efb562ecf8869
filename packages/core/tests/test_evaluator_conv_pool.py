"""The evaluator's CONVOLUTION and POOLING kernels on networks TensorRT's own ONNX parser makes, judged
by onnxruntime on the same ONNX model (an independent oracle): groups, stride, dilation, asymmetric
pads, max and average pooling with and without counting the padding. (Whole models such as a conv +
LSTM OCR network need them for the evaluated tier.)"""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import evaluate, trt

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
if not trt.available():
    pytest.skip("no TensorRT flavor installed", allow_module_level=True)

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

CASES = {
    "conv_plain": ("Conv", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    "conv_groups_stride_dilation": (
        "Conv",
        {"kernel_shape": [3, 2], "group": 2, "strides": [2, 1], "dilations": [1, 2], "pads": [0, 1, 2, 0]},
    ),
    "maxpool_pads": ("MaxPool", {"kernel_shape": [2, 3], "strides": [2, 2], "pads": [1, 0, 0, 1]}),
    "avgpool_excludes_pads": ("AveragePool", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    "avgpool_counts_pads": (
        "AveragePool",
        {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1, "strides": [2, 2]},
    ),
}


def _model(op: str, attrs: dict) -> onnx.ModelProto:
    rng = np.random.default_rng(len(op) + len(attrs))
    inputs, inits = ["x"], []
    if op == "Conv":
        group = attrs.get("group", 1)
        weight = rng.standard_normal((6, 4 // group, *attrs["kernel_shape"])).astype(np.float32)
        inits = [
            numpy_helper.from_array(weight, "w"),
            numpy_helper.from_array(rng.standard_normal(6).astype(np.float32), "b"),
        ]
        inputs += ["w", "b"]
    node = helper.make_node(op, inputs, ["y"], **attrs)
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 7, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=inits,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("case", list(CASES))
def test_parsed_network_evaluates_as_onnxruntime_runs_the_model(case):
    model = _model(*CASES[case])
    x = np.random.default_rng(7).standard_normal((2, 4, 7, 9)).astype(np.float32)
    (want,) = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"x": x}
    )
    _, network = trt.create_network()
    parser = trt.load().OnnxParser(network, trt.logger())
    assert parser.parse(model.SerializeToString()), [
        str(parser.get_error(i)) for i in range(parser.num_errors)
    ]
    got = evaluate(network, {"x": x})["y"]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
