"""rnn-legacy reaches its lowering only through core's registry (`trtrnn.registry.lowering`), never by import.

Each test narrows the registry to chosen plugins (`registry.limited_to`): another lowering in place of
rnn-loop, or none at all.
"""

from __future__ import annotations

import dataclasses
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

import trtrnn
import trtrnn_legacy
from trtrnn import registry
from trtrnn.errors import BackendError
from trtrnn.seed import LEGACY_SEED_CASE
from trtrnn_legacy import native, plugin

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "seed_add_rnn.py"


@pytest.fixture
def needs_lowering(trt_mod):
    if native.available():
        pytest.skip("this TensorRT has add_rnn with implicit batch: the layer is native, nothing is lowered")


def test_no_module_of_the_package_imports_rnn_loop():
    imports = re.compile(r"^\s*(?:from|import) trtrnn_loop\b.*", re.M)
    sources = Path(trtrnn_legacy.__file__).parent.glob("*.py")
    assert [(p.name, m) for p in sources for m in imports.findall(p.read_text())] == []


def test_the_seed_program_runs_on_another_registered_lowering(needs_lowering, monkeypatch):
    loop = registry.get("rnn-loop")
    names: list[str] = []

    def build(network, spec, inputs, *, name):
        names.append(name)
        return loop.build(network, spec, inputs, name=name)

    class AnotherLowering:
        @trtrnn.hookimpl
        def register_backends(self, register):
            register(dataclasses.replace(loop, name="another-loop", build=build))

    monkeypatch.setenv("TRTRNN_EXECUTION", "cpu")
    with registry.limited_to(plugin, AnotherLowering()):
        assert registry.lowering().name == "another-loop" and plugin.BACKEND.availability() == (True, "")
        ran = runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert len(names) == 1 and names[0].startswith("rnn_legacy_")  # the layer's name reaches the lowering
    for key, variable in (("output", "outputH0"), ("hidden", "outputH1")):  # the seed's printed table
        np.testing.assert_allclose(ran[variable], LEGACY_SEED_CASE.expected[key], rtol=LEGACY_SEED_CASE.rtol)


def test_no_lowering_installed_is_reported_with_the_package_to_install(needs_lowering, trt_mod):
    network = trtrnn_legacy.ImplicitBatchNetwork(max_batch_size=1)
    x = network.add_input("x", trt_mod.float32, (4, 3, 7))
    layer = network.add_rnn(x, 1, 5, 4, "RELU", "LINEAR", "UNIDIRECTION", np.ones(60), np.zeros(10))
    with registry.limited_to(plugin):
        assert plugin.BACKEND.availability() == (
            False,
            "this TensorRT has no add_rnn, and no lowering backend is installed (one that declares "
            "`lowering=True` and expresses every feature): pip install trtrnn-loop",
        )
        with pytest.raises(
            BackendError, match=r"no lowering backend is installed .*: pip install trtrnn-loop"
        ):
            layer.get_output(0)


def test_an_unavailable_lowering_is_reported_with_its_own_reason(needs_lowering):
    gpu_only = dataclasses.replace(
        registry.get("rnn-loop"), name="gpu-loop", availability=lambda: (False, "GPU")
    )

    class GpuOnly:
        @trtrnn.hookimpl
        def register_backends(self, register):
            register(gpu_only)

    with registry.limited_to(plugin, GpuOnly()):
        assert plugin.BACKEND.availability() == (
            False,
            "this TensorRT has no add_rnn, and no lowering backend is available here (gpu-loop: GPU)",
        )
