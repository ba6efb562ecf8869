"""The plugin's build-time logic without TensorRT: fields, shapes, types, formats, workspace, errors."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn.enums import RNNOperation
from trtrnn.errors import ShapeError, SpecError
from trtrnn_persistent.errors import UnsupportedSizeError
from trtrnn_persistent.plan import H200
from trtrnn_persistent.recurrence import Recurrence


def lstm(**kw) -> Recurrence:
    base = dict(op=int(RNNOperation.LSTM), hidden=16, directions=2, has_lengths=1, has_hidden=1, has_cell=1)
    return Recurrence(**{**base, **kw})


def test_fields_round_trip_as_int32_scalars():
    layer = lstm(weights_half=1, units=4)
    fields = layer.to_fields()
    assert all(v.dtype == np.int32 and v.shape == (1,) for v in fields.values())
    assert Recurrence.from_fields(fields) == layer
    assert Recurrence.from_fields({k: list(v) for k, v in fields.items()}) == layer


def test_from_fields_names_what_is_wrong():
    with pytest.raises(SpecError, match=r"unknown \['bogus'\]"):
        Recurrence.from_fields({"op": 2, "hidden": 4, "bogus": 1})
    with pytest.raises(SpecError, match=r"missing \['hidden'\]"):
        Recurrence.from_fields({"op": 2})
    with pytest.raises(SpecError, match="'units': expected one int32; got 2 values"):
        Recurrence.from_fields({"op": 2, "hidden": 4, "units": [1, 2]})
    with pytest.raises(SpecError, match="'has_cell': only LSTM has a cell state; op is GRU"):
        Recurrence(op=3, hidden=4, has_cell=1)
    with pytest.raises(SpecError, match="'directions': must be 1 or 2; got 3"):
        Recurrence(op=0, hidden=4, directions=3)
    with pytest.raises(SpecError, match="'hidden': must be >= 1; got 0"):
        Recurrence(op=0, hidden=0)
    with pytest.raises(ValueError):
        Recurrence(op=9, hidden=4)


def test_inputs_follow_the_flags_in_a_fixed_order():
    assert lstm().input_names() == ["xproj", "weights", "rbias", "lengths", "h0", "c0"]
    gru = Recurrence(op=int(RNNOperation.GRU), hidden=8, has_hidden=1)
    assert gru.input_names() == ["xproj", "weights", "rbias", "h0"] and gru.num_outputs == 2
    assert lstm().num_outputs == 3


def test_output_shapes_from_symbolic_dims():
    layer = lstm()
    n, t = "N", "T"  # any objects: TensorRT passes IDimensionExprs
    shapes = layer.output_shapes([[n, t, 2 * 4 * 16]], const=lambda v: v)
    assert shapes == [[n, t, 32], [n, 2, 16], [n, 2, 16]]


def test_output_types_are_float32_and_input_types_are_checked():
    layer = lstm(weights_half=1)
    types = ["FLOAT", "HALF", "FLOAT", "INT32", "FLOAT", "FLOAT"]
    assert layer.output_types(types) == ["FLOAT"] * 3
    with pytest.raises(ShapeError, match="plugin input 'weights': type FLOAT; expected HALF"):
        layer.output_types(["FLOAT", "FLOAT", "FLOAT", "INT32", "FLOAT", "FLOAT"])
    with pytest.raises(ShapeError, match="expected 6"):
        layer.output_types(types[:3])


def test_formats_linear_only_with_the_declared_types():
    layer = lstm()
    descs = [("FLOAT", "LINEAR"), ("FLOAT", "LINEAR"), ("FLOAT", "LINEAR"), ("INT32", "LINEAR"),
             ("FLOAT", "LINEAR"), ("FLOAT", "LINEAR"), ("FLOAT", "LINEAR"), ("FLOAT", "LINEAR"),
             ("FLOAT", "LINEAR")]  # fmt: skip
    assert all(layer.supports_format(i, descs, 6) for i in range(9))
    assert not layer.supports_format(3, [*descs[:3], ("FLOAT", "LINEAR"), *descs[4:]], 6)  # lengths int32
    assert not layer.supports_format(0, [("FLOAT", "CHW32"), *descs[1:]], 6)
    assert not layer.supports_format(7, [*descs[:7], ("HALF", "LINEAR"), descs[8]], 6)  # outputs float32


def test_check_dims_and_workspace():
    layer = lstm()
    k, g, h, n, t = 2, 4, 16, 3, 5
    dims = [(n, t, k * g * h), (k * g * h, h), (k * g * h,), (n,), (n, k, h), (n, k, h)]
    assert layer.check_dims(dims) == (n, t)
    with pytest.raises(ShapeError, match=r"plugin input 'h0': dims \(3, 1, 16\); expected \(3, 2, 16\)"):
        layer.check_dims([*dims[:4], (n, 1, h), dims[5]])
    assert layer.workspace_bytes(n) == 2 * k * n * h * 8


def test_plan_errors_before_any_launch():
    with pytest.raises(UnsupportedSizeError, match="hidden_size"):
        Recurrence(op=2, hidden=4096).plan(1, H200)
    assert Recurrence(op=2, hidden=256, units=4).plan(1, H200).units == 4


def test_enqueue_tensors_checks_descriptors_before_touching_the_gpu():
    class Desc:
        def __init__(self, dims, type_):
            self.dims, self.type = dims, type_

    layer = Recurrence(op=int(RNNOperation.TANH), hidden=4)
    good = [Desc((1, 2, 4), "FLOAT"), Desc((4, 4), "FLOAT"), Desc((4,), "FLOAT")]
    with pytest.raises(ShapeError, match="plugin outputs: expected 2 FLOAT tensors"):
        layer.enqueue_tensors(
            good, [Desc((1, 2, 4), "HALF"), Desc((1, 1, 4), "FLOAT")], [0] * 3, [0, 0], 0, 0
        )
    with pytest.raises(ShapeError, match="plugin input 'weights': type HALF; expected FLOAT"):
        layer.enqueue_tensors([good[0], Desc((4, 4), "HALF"), good[2]], [], [0] * 3, [], 0, 0)
