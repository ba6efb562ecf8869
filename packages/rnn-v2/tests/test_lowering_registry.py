"""rnn-v2 reaches its lowering only through core's registry (`trtrnn.registry.lowering`), never by import.

`registry.limited_to` narrows the registry to chosen plugins, so these tests show what happens with
another lowering installed, or none.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import trtrnn
import trtrnn_v2
from trtrnn import Backend, registry, trt
from trtrnn.errors import BackendError
from trtrnn.network import build_spec_network
from trtrnn.seed import SEED_CASES
from trtrnn_v2 import native, plugin


class RecordingLowering:
    """A third-party lowering: the installed rnn-loop's `build` under another name, recording layer names."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.loop = registry.get("rnn-loop").build  # through the registry, as any plugin would

    def build(self, network, spec, inputs, *, name):
        self.names.append(name)
        return self.loop(network, spec, inputs, name=name)

    @trtrnn.hookimpl
    def register_backends(self, register):
        register(Backend("another-loop", "recording lowering", self.build, lowering=True))


@pytest.fixture
def lowered_here():
    if not trt.available():
        pytest.skip("no TensorRT installed")
    if native.available():
        pytest.skip("this TensorRT has add_rnn_v2: the layer is native, no lowering is asked for")


def test_the_package_never_imports_rnn_loop():
    src = Path(trtrnn_v2.__file__).parent
    found = {
        p.name: re.findall(r"^\s*(?:from|import) trtrnn_loop\b.*", p.read_text(), re.M)
        for p in src.glob("*.py")
    }
    assert not any(found.values()), found


def test_another_registered_lowering_is_used_and_gets_the_layers_name(lowered_here):
    lowering = RecordingLowering()
    case = SEED_CASES["initial"]
    with registry.limited_to(plugin, lowering):
        assert plugin.BACKEND.availability() == (True, "")
        built = build_spec_network(plugin.build, case.spec, case.x)
    assert len(lowering.names) == 1 and lowering.names[0].startswith("rnn_v2_")
    layer_names = [built.network.get_layer(i).name for i in range(built.network.num_layers)]
    assert sum(n.startswith(lowering.names[0] + ".") for n in layer_names) > 3, layer_names
    got = trtrnn.evaluate(built.network, built.feeds)
    for key, expected in case.expected.items():  # the seed's printed table
        np.testing.assert_allclose(got[key], expected, rtol=case.rtol, err_msg=key)


def test_without_a_lowering_the_backend_says_what_to_install(lowered_here, relu_layer):
    with registry.limited_to(plugin):
        ok, why = plugin.BACKEND.availability()
        with pytest.raises(
            BackendError, match=r"no lowering backend is installed .*: pip install trtrnn-loop"
        ):
            relu_layer.get_output(0)
    assert not ok
    assert why.startswith("this TensorRT has no add_rnn_v2, and no lowering backend is installed")
    assert why.endswith("pip install trtrnn-loop")
    assert "(configuring)" in repr(relu_layer)  # nothing was added: with a lowering back, it lowers
    assert relu_layer.get_output(0).shape == (1, 3, 4, 5)
