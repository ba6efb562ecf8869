"""What TensorRT's removed RNN layers had in common, for the packages that bring them back.

IRNNLayer (TensorRT <= 7) and IRNNv2Layer (<= 9) were configured after creation, in any order (the
cookbook switches `op` after `add_rnn_v2`), and TensorRT built them lazily. A Python stand-in cannot:
the tensor `get_output` returns must exist for the user's next layer. So the stand-in collects its
configuration, adds the real layers at the first `get_output`, and refuses changes afterwards.
This module holds that life cycle once; each compatibility package adds its own API on top.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trtrnn.backend import RNNOutputs, num_outputs, output_index
from trtrnn.enums import RNNDirection, RNNInputMode, RNNOperation
from trtrnn.errors import ConfigurationError, SpecError


def positive_int(field: str, value: object) -> int:
    """`value` as an int, or SpecError naming `field` unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SpecError(f"{field}: must be a positive integer; got {value!r}")
    return int(value)


class Setting:
    """A settable attribute of a `LazyRNNLayer`: `convert(layer, value, field)` on assignment, stored
    in `_<field>`, refused with ConfigurationError once the layer was lowered."""

    def __init__(self, convert: Callable[[Any, object, str], object], doc: str) -> None:
        self.convert = convert
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.attr = "_" + name

    def __get__(self, obj: object, objtype: type | None = None) -> object:
        return self if obj is None else getattr(obj, self.attr)

    def __set__(self, obj: LazyRNNLayer, value: object) -> None:
        obj._check_configurable(self.name)
        setattr(obj, self.attr, self.convert(obj, value, self.name))


class LazyRNNLayer:
    """Read-only shape facts, `num_outputs`, `get_output` (lower once) and the freeze after it.

    Subclasses set `_op`, `_input_mode`, `_direction`, `_num_layers`, `_hidden_size`,
    `_max_seq_length` and `name` in `__init__`, and implement `data_length` and `_lower`.
    """

    #: The TensorRT release whose lazy build this layer stands in for, named in the freeze error.
    lazy_release: str = "TensorRT"
    _op: RNNOperation
    _input_mode: RNNInputMode
    _direction: RNNDirection
    _num_layers: int
    _hidden_size: int
    _max_seq_length: int
    _outputs: RNNOutputs | None = None
    name: str

    @property
    def num_layers(self) -> int:
        """L: stacked layers (a bidirectional layer counts once)."""
        return self._num_layers

    @property
    def hidden_size(self) -> int:
        return self._hidden_size

    @property
    def max_seq_length(self) -> int:
        return self._max_seq_length

    @property
    def data_length(self) -> int:
        """E: the input's last dim."""
        raise NotImplementedError

    @property
    def num_outputs(self) -> int:
        """3 for LSTM (output, final hidden, final cell), else 2."""
        return num_outputs(self._op)

    def get_output(self, index: int) -> Any:
        """Output `index` (0 output, 1 final hidden, 2 final cell for LSTM).

        The first call checks the whole configuration and adds the RNN's layers to the network.
        """
        index = output_index(index, self._op)
        if self._outputs is None:
            self._outputs = self._lower()
        return self._wrap(self._outputs.get(index))

    def _lower(self) -> RNNOutputs:
        raise NotImplementedError

    def _wrap(self, tensor: Any) -> Any:
        """The tensor as the user sees it (a subclass may hand out proxies)."""
        return tensor

    def _check_configurable(self, field: str) -> None:
        if self._outputs is not None:
            raise ConfigurationError(
                f"{field}: cannot change after get_output() was called; the RNN was added to the network "
                f"at that call ({self.lazy_release} built lazily, trtrnn cannot), so configure the layer "
                "completely before the first get_output()"
            )

    def _check_cell_state(self, cell_state: object) -> None:
        if cell_state is not None and self._op != RNNOperation.LSTM:
            raise SpecError(f"cell_state: only LSTM has a cell state; op is {self._op.name}")

    def __repr__(self) -> str:
        state = "lowered" if self._outputs is not None else "configuring"
        return (
            f"<{type(self).__name__} {self.name!r} {self._op.name} L={self._num_layers} "
            f"H={self._hidden_size} T={self._max_seq_length} E={self.data_length} "
            f"{self._direction.name} {self._input_mode.name} ({state})>"
        )
