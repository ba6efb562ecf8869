"""The TensorRT side of the plugin: IPluginV3 (+ OneCore/OneBuild/OneRuntime) and its creator.

Thin translations between TensorRT's objects and `recurrence.Recurrence`, which holds every decision;
defined against whichever TensorRT `trtrnn.trt.load()` returns. TensorRT for RTX exposes these
interfaces but cannot put a plugin into a network (no `add_plugin_v3`); its classes still let the
tests check serialization and re-creation through the real bindings.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

import numpy as np

from trtrnn import trt as trt_flavor
from trtrnn_persistent.recurrence import PLUGIN_NAME, PLUGIN_NAMESPACE, PLUGIN_VERSION, Recurrence


@functools.cache
def classes(trt: ModuleType | None = None) -> tuple[type, type]:
    """(PersistentRNNPlugin, PersistentRNNCreator) defined on `trt` (default: trtrnn's TensorRT)."""
    trt = trt or trt_flavor.load()

    class PersistentRNNPlugin(
        trt.IPluginV3, trt.IPluginV3OneCore, trt.IPluginV3OneBuild, trt.IPluginV3OneRuntime
    ):
        def __init__(self, logic: Recurrence, phase: Any = None) -> None:
            trt.IPluginV3.__init__(self)
            trt.IPluginV3OneCore.__init__(self)
            trt.IPluginV3OneBuild.__init__(self)
            trt.IPluginV3OneRuntime.__init__(self)
            self.logic = logic
            self.phase = phase
            self.num_outputs = logic.num_outputs
            self.plugin_namespace = PLUGIN_NAMESPACE
            self.plugin_name = PLUGIN_NAME
            self.plugin_version = PLUGIN_VERSION
            self.timing_cache_id = ""

        def get_capability_interface(self, type: Any) -> Any:
            return self

        def get_output_data_types(self, input_types: list) -> list:
            return [trt.float32 for _ in self.logic.output_types(input_types)]

        def get_output_shapes(self, inputs: list, shape_inputs: list, expr_builder: Any) -> list:
            out = []
            for dims in self.logic.output_shapes(inputs, expr_builder.constant):
                exprs = trt.DimsExprs(len(dims))
                for i, d in enumerate(dims):
                    exprs[i] = d
                out.append(exprs)
            return out

        def get_fields_to_serialize(self) -> Any:
            # a PluginField points at its array's memory: the arrays live as long as the plugin
            self._serialized = self.logic.to_fields()
            return trt.PluginFieldCollection(
                [trt.PluginField(k, v, trt.PluginFieldType.INT32) for k, v in self._serialized.items()]
            )

        def configure_plugin(self, inp: list, out: list) -> None:
            from trtrnn_persistent import runtime as rt

            # the largest batch of the profile must fit (a named error at build, not at run time)
            self.logic.plan(max(1, int(inp[0].max[0])), rt.device_limits(rt.ensure_context()))

        def on_shape_change(self, inp: list, out: list) -> None:
            self.logic.check_dims([tuple(d.dims) for d in inp])

        def supports_format_combination(self, pos: int, in_out: list, num_inputs: int) -> bool:
            descs = [(d.desc.type, d.desc.format) for d in in_out]
            return self.logic.supports_format(pos, descs, num_inputs)

        def get_workspace_size(self, input_desc: list, output_desc: list) -> int:
            return self.logic.workspace_bytes(max(1, int(input_desc[0].max[0])))

        def get_valid_tactics(self) -> list:
            return []

        def set_tactic(self, tactic: int) -> None:
            pass

        def enqueue(
            self,
            input_desc: list,
            output_desc: list,
            inputs: list,
            outputs: list,
            workspace: int,
            stream: int,
        ) -> None:
            self.logic.enqueue_tensors(input_desc, output_desc, inputs, outputs, workspace, stream)

        def attach_to_context(self, context: Any) -> Any:
            return self.clone()

        def clone(self) -> Any:
            return PersistentRNNPlugin(self.logic, self.phase)

    class PersistentRNNCreator(trt.IPluginCreatorV3One):
        def __init__(self) -> None:
            trt.IPluginCreatorV3One.__init__(self)
            self.name = PLUGIN_NAME
            self.plugin_namespace = PLUGIN_NAMESPACE
            self.plugin_version = PLUGIN_VERSION
            self._empty = {
                name: np.array([], dtype=np.int32) for name in Recurrence(op=0, hidden=1).to_fields()
            }
            self.field_names = trt.PluginFieldCollection(
                [trt.PluginField(name, v, trt.PluginFieldType.INT32) for name, v in self._empty.items()]
            )

        def create_plugin(self, name: str, fc: Any, phase: Any) -> Any:
            return PersistentRNNPlugin(Recurrence.from_fields({f.name: f.data for f in fc}), phase)

    return PersistentRNNPlugin, PersistentRNNCreator


@functools.cache
def register(trt: ModuleType | None = None) -> Any:
    """Register the creator with TensorRT's plugin registry once (engines deserialize through it)."""
    trt = trt or trt_flavor.load()
    creator = classes(trt)[1]()
    trt.get_plugin_registry().register_creator(creator, PLUGIN_NAMESPACE)
    return creator


def create(logic: Recurrence, trt: ModuleType | None = None) -> Any:
    """A plugin instance for a network under construction (the build phase)."""
    trt = trt or trt_flavor.load()
    register(trt)
    return classes(trt)[0](logic, trt.TensorRTPhase.BUILD)
