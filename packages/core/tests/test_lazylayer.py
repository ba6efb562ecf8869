"""`trtrnn.lazylayer`: the configure-then-lower-once life cycle both compatibility layers share."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from trtrnn.backend import RNNOutputs
from trtrnn.enums import RNNDirection, RNNInputMode, RNNOperation
from trtrnn.errors import ConfigurationError, SpecError
from trtrnn.lazylayer import LazyRNNLayer, positive_int


class Recording(LazyRNNLayer):
    """A stand-in whose lowering returns labelled placeholders and counts its calls."""

    lazy_release = "TensorRT 8"
    name_prefix = "recording"
    lowered = 0  # a public attribute of its own: declared on the class, so assignments are accepted

    def __init__(self, **overrides: object) -> None:
        args = dict(layer_count=1, hidden_size=4, max_seq_length=3, op=RNNOperation.RELU) | overrides
        super().__init__("add_recording", "network", SimpleNamespace(shape=(-1, 3, 2)), **args)
        self.lowered = 0

    def _lower(self) -> RNNOutputs:
        self.lowered += 1
        return RNNOutputs("out", "hidden", "cell" if self._op == RNNOperation.LSTM else None)


def test_creation_checks_the_apis_arguments_under_their_names() -> None:
    layer = Recording(mode="SKIP", direction=1)
    assert (layer.num_layers, layer.hidden_size, layer.max_seq_length, layer.data_length) == (1, 4, 3, 2)
    assert (layer.input_mode, layer.direction) == (RNNInputMode.SKIP, RNNDirection.BIDIRECTION)
    assert layer.name.startswith("recording_") and layer.name != Recording().name
    with pytest.raises(SpecError, match="add_recording hidden_size: must be a positive integer; got 0"):
        Recording(hidden_size=0)
    with pytest.raises(
        SpecError, match=r"mode: expected a RNNInputMode \(LINEAR=0, SKIP=1\); got .SIDEWAYS."
    ):
        Recording(mode="SIDEWAYS")


def test_configure_freely_then_lower_once_then_frozen() -> None:
    layer = Recording()
    layer.op = "LSTM"  # reconfigured after creation, as the cookbook does
    assert layer.num_outputs == 3 and "(configuring)" in repr(layer)
    assert [layer.get_output(i) for i in (0, 1, 2, 0)] == ["out", "hidden", "cell", "out"]
    assert layer.lowered == 1 and "(lowered)" in repr(layer)
    with pytest.raises(
        ConfigurationError, match=r"op: cannot change after get_output\(\).*TensorRT 8 built lazily"
    ):
        layer.op = "GRU"
    assert layer.op == RNNOperation.LSTM


def test_output_index_and_cell_state_rules() -> None:
    layer = Recording()
    with pytest.raises(SpecError, match=r"get_output index: must be in \[0, 2\) for op RELU"):
        layer.get_output(2)
    assert layer.lowered == 0  # a bad index is refused before anything is added to the network
    with pytest.raises(SpecError, match="cell_state: only LSTM has a cell state; op is RELU"):
        layer._check_cell_state(object())
    layer._check_cell_state(None)


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "3"])
def test_positive_int_names_the_field(value: object) -> None:
    with pytest.raises(SpecError, match=rf"add_rnn hidden_size: must be a positive integer; got {value!r}"):
        positive_int("add_rnn hidden_size", value)


def test_unknown_attributes_are_refused_with_the_settable_ones_named() -> None:
    layer = Recording()
    with pytest.raises(AttributeError, match=r"no attribute 'dirction'; settable: name, direction"):
        layer.dirction = "BIDIRECTION"
    layer.direction = "BIDIRECTION"
    assert layer.direction == RNNDirection.BIDIRECTION
