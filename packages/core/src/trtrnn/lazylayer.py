"""What TensorRT's removed RNN layers had in common, for the packages that bring them back.

IRNNLayer (TensorRT <= 7) and IRNNv2Layer (<= 9) were configured after creation, in any order (the
cookbook switches `op` after `add_rnn_v2`), and TensorRT built them lazily. A Python stand-in cannot:
the tensor `get_output` returns must exist for the user's next layer. So the stand-in collects its
configuration, adds the real layers at the first `get_output`, and refuses changes afterwards.
This module holds that life cycle once; each compatibility package adds its own API on top.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from enum import Enum
from typing import Any, ClassVar

import numpy as np

from trtrnn.backend import Network, RNNOutputs, Tensor, dims_of, num_outputs, output_index
from trtrnn.enums import RNNDirection, RNNInputMode, RNNOperation, coerce
from trtrnn.errors import ConfigurationError, SpecError
from trtrnn.spec import Feature

_NAMES = itertools.count()

#: Why TensorRT's RNN layers cannot express the ONNX / PyTorch extensions (docs/semantics.md §2.1-2.4):
#: the compatibility backends declare these unsupported rather than invent setters on NVIDIA's APIs.
EXTENSIONS_UNSUPPORTED: dict[Feature, str] = {
    Feature.GRU_LBR0: "TensorRT's RNN GRU is linear_before_reset=1 only; the API has no switch for it",
    Feature.PEEPHOLES: "the API's gates take W, R and biases only (RNNGateType has no peephole weights)",
    Feature.INPUT_FORGET: "the API has no coupled input/forget gate; FORGET always has its own weights",
    Feature.CLIP: "the API has no clip setting",
    Feature.ACTIVATIONS: "the op (RNNOperation) fixes the activations; the API has no activation setting",
    Feature.REVERSE: "RNNDirection has UNIDIRECTION (forward) and BIDIRECTION only; no backward-only RNN",
    Feature.ZERO_LENGTHS: "the API documents sequence lengths in [1, max_seq_length]; 0 is undefined there",
    Feature.PROJECTION: "the API has no LSTM projection (W_hr); outputs and states are hidden_size wide",
}


def refuse_extensions(spec: object, api: str) -> None:
    """SpecError naming the first extension `spec` uses that TensorRT's RNN API (`api`) cannot express."""
    used = sorted(spec.features() & EXTENSIONS_UNSUPPORTED.keys(), key=lambda f: f.value)  # type: ignore[attr-defined]
    if used:
        raise SpecError(
            f"{used[0].value}: {api} cannot express it ({EXTENSIONS_UNSUPPORTED[used[0]]}); "
            "use the rnn-loop backend"
        )


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


def enum_setting(enum_cls: type[Enum], doc: str) -> Setting:
    """A Setting taking `enum_cls`'s trtrnn or TensorRT members, names or ints (`trtrnn.enums.coerce`)."""
    return Setting(lambda _, value, field: coerce(enum_cls, value, field), doc)


class LazyRNNLayer:
    """Creation checks, shape facts, `num_outputs`, `get_output` (lower once) and the freeze after it.

    Subclasses call `__init__` with their API's name and arguments, and implement `_lower`.
    """

    #: The TensorRT release whose lazy build this layer stands in for, named in the freeze error.
    lazy_release: str = "TensorRT"
    #: The TensorRT layer class this one stands in for, named when an unknown attribute is refused.
    api_layer: str = "RNN"
    #: Attributes users may expect but this API lacks -> why (added to the AttributeError).
    absent_attributes: ClassVar[dict[str, str]] = {}
    #: How the layer's default `name` starts (the lowered layers' names start with that name).
    name_prefix: str = "rnn"

    op = enum_setting(RNNOperation, "RNNOperation: RELU, TANH, LSTM or GRU.")
    input_mode = enum_setting(RNNInputMode, "RNNInputMode: LINEAR (W.x) or SKIP (x added as is).")
    direction = enum_setting(RNNDirection, "RNNDirection: UNIDIRECTION or BIDIRECTION.")

    def __init__(
        self,
        api: str,
        network: Network,
        input: Tensor,
        layer_count: object,
        hidden_size: object,
        max_seq_length: object,
        op: object,
        mode: object = RNNInputMode.LINEAR,
        direction: object = RNNDirection.UNIDIRECTION,
    ) -> None:
        """The arguments TensorRT's `api` (add_rnn, add_rnn_v2) took, checked under their names there."""
        self._network = network
        self._input = input
        self._num_layers = positive_int(f"{api} layer_count", layer_count)
        self._hidden_size = positive_int(f"{api} hidden_size", hidden_size)
        self._max_seq_length = positive_int(f"{api} max_seq_length", max_seq_length)
        self._op = coerce(RNNOperation, op, "op")
        self._input_mode = coerce(RNNInputMode, mode, "mode")
        self._direction = coerce(RNNDirection, direction, "direction")
        self._outputs: RNNOutputs | None = None
        self.name = f"{self.name_prefix}_{next(_NAMES)}"  # prefixes the names of the layers it lowers to

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
        return dims_of(self._input)[-1]

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

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse attributes the API does not have, as TensorRT's own layers do: a typo such as
        `layer.hiden_state = t` must not be accepted and silently ignored."""
        if name.startswith("_") or name == "name" or hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        settable = sorted(n for n in dir(type(self)) if isinstance(getattr(type(self), n, None), Setting))
        hint = self.absent_attributes.get(name)
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
            + (f": {hint}" if hint else "")
            + f"; settable: {', '.join(['name', *settable])} (as on TensorRT's {self.api_layer})"
        )

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
