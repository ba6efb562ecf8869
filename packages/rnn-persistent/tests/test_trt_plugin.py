"""The IPluginV3 classes on TensorRT's real bindings (TensorRT for RTX has the interfaces, not the
plugin layer): serialization through PluginFields and re-creation by the creator."""

from __future__ import annotations

import numpy as np
import pytest

from trtrnn import trt as flavor
from trtrnn_persistent.build import plugin_layers_missing
from trtrnn_persistent.recurrence import PLUGIN_NAME, PLUGIN_NAMESPACE, Recurrence

trt = pytest.importorskip(flavor.load().__name__) if flavor.available() else None
pytestmark = pytest.mark.skipif(
    trt is None or not hasattr(trt, "IPluginV3"), reason="no TensorRT with IPluginV3"
)


def test_fields_serialize_and_the_creator_recreates_the_plugin():
    from trtrnn_persistent.trt_plugin import classes

    plugin_cls, creator_cls = classes(trt)
    layer = Recurrence(op=2, hidden=32, directions=2, weights_half=1, has_lengths=1, has_hidden=1, has_cell=1)
    plugin = plugin_cls(layer)
    assert (plugin.plugin_name, plugin.plugin_namespace, plugin.num_outputs) == (
        PLUGIN_NAME,
        PLUGIN_NAMESPACE,
        3,
    )
    fc = plugin.get_fields_to_serialize()
    creator = creator_cls()
    assert sorted(f.name for f in creator.field_names) == sorted(layer.to_fields())
    again = creator.create_plugin(PLUGIN_NAME, fc, trt.TensorRTPhase.BUILD)
    assert again.logic == layer
    assert plugin.clone().logic == layer and plugin.get_capability_interface(None) is plugin


def test_output_types_through_tensorrt_datatypes():
    from trtrnn_persistent.trt_plugin import classes

    plugin = classes(trt)[0](Recurrence(op=3, hidden=8, has_hidden=1))
    types = plugin.get_output_data_types([trt.float32, trt.float32, trt.float32, trt.float32])
    assert types == [trt.float32, trt.float32]


def test_supports_format_combination_reads_descriptors():
    from trtrnn_persistent.trt_plugin import classes

    plugin = classes(trt)[0](Recurrence(op=1, hidden=8))
    descs = []
    for dtype in (trt.float32, trt.float32, trt.float32, trt.float32, trt.float32):
        d = trt.DynamicPluginTensorDesc()
        d.desc.type, d.desc.format = dtype, trt.TensorFormat.LINEAR
        descs.append(d)
    assert all(plugin.supports_format_combination(i, descs, 3) for i in range(5))
    descs[1].desc.type = trt.float16
    assert not plugin.supports_format_combination(1, descs, 3)


def test_plugin_layers_missing_names_the_flavor():
    reason = plugin_layers_missing()
    if hasattr(trt.INetworkDefinition, "add_plugin_v3"):
        assert reason == ""
    else:
        assert "has no plugin layers (INetworkDefinition.add_plugin_v3 is absent)" in reason
        assert flavor.flavor() in reason


def test_fields_are_int32_arrays_tensorrt_accepts():
    fields = Recurrence(op=0, hidden=5).to_fields()  # kept alive: a PluginField points at its array
    collection = trt.PluginFieldCollection(
        [trt.PluginField(k, v, trt.PluginFieldType.INT32) for k, v in fields.items()]
    )
    assert {f.name: int(np.asarray(f.data)[0]) for f in collection} == {
        k: int(v[0]) for k, v in fields.items()
    }
