"""Value contracts (`trtrnn.network.declare_range`) the CPU evaluator checks on fed and computed tensors."""

from __future__ import annotations

import numpy as np
import pytest

import trtrnn
from trtrnn import trt
from trtrnn.errors import SpecError
from trtrnn.network import declare_range


def _network(declare_on: str):
    trt_mod = trt.load()
    builder, network = trt.create_network()
    lens = network.add_input("lens", trt_mod.int32, (3,))
    doubled = network.add_elementwise(lens, lens, trt_mod.ElementWiseOperation.SUM)
    network.mark_output(doubled.get_output(0))
    tensor = lens if declare_on == "input" else doubled.get_output(0)
    declare_range(network, tensor, 1, 4, "seq_lengths", "max_seq_length=4")
    return builder, network


@pytest.mark.parametrize("declare_on", ["input", "computed"])
def test_values_outside_the_contract_name_the_field(declare_on):
    _, network = _network(declare_on)
    ok = np.array([1, 2, 2], np.int32)
    out = trtrnn.evaluate(network, {"lens": ok})
    assert out[network.get_output(0).name].tolist() == [2, 4, 4]
    bad = np.array([-1, 2, 3], np.int32) if declare_on == "input" else np.array([1, 2, 3], np.int32)
    with pytest.raises(SpecError, match=r"seq_lengths: every value must be in \[1, 4\] \(max_seq_length=4\)"):
        trtrnn.evaluate(network, {"lens": bad})
