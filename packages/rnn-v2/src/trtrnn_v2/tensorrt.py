"""`from trtrnn_v2 import tensorrt as trt`: TensorRT as TensorRT 8 code expects it, for migration.

Attributes fall through to the installed TensorRT (full or RTX, chosen by `trtrnn.trt.load()`); the
RNN enums come from trtrnn where that TensorRT has none. Importing this module also calls `install()`,
which gives `INetworkDefinition` an `add_rnn_v2` method (`trtrnn_v2.add_rnn_v2`) where TensorRT has
none, so a TensorRT 8 program's `network.add_rnn_v2(...)` lines run unchanged. That is a class-level
change for the whole process, made only on request (by importing this module); `uninstall()` undoes
it. Where TensorRT still has add_rnn_v2 nothing is patched and everything here is TensorRT's own.
"""

from __future__ import annotations

from trtrnn import enums
from trtrnn import trt as _flavor
from trtrnn.backend import Network, Tensor
from trtrnn_v2 import native
from trtrnn_v2.layer import RNNv2Layer, add_rnn_v2

_RNN_ENUMS = ("RNNOperation", "RNNDirection", "RNNInputMode", "RNNGateType")


def _add_rnn_v2(
    self: Network, input: Tensor, layer_count: int, hidden_size: int, max_seq_length: int, op: object
) -> RNNv2Layer:
    return add_rnn_v2(self, input, layer_count, hidden_size, max_seq_length, op)


_add_rnn_v2.__doc__ = add_rnn_v2.__doc__
setattr(_add_rnn_v2, native.SHIM_MARK, True)


def install() -> bool:
    """Add `INetworkDefinition.add_rnn_v2` where TensorRT lacks it; True if trtrnn's is in place."""
    cls = _flavor.load().INetworkDefinition
    if native.available():
        return False
    cls.add_rnn_v2 = _add_rnn_v2
    return True


def uninstall() -> None:
    """Remove the method `install()` added (no-op if it is TensorRT's own or absent)."""
    cls = _flavor.load().INetworkDefinition
    if getattr(getattr(cls, "add_rnn_v2", None), native.SHIM_MARK, False):
        del cls.add_rnn_v2


def __getattr__(name: str) -> object:
    trt_mod = _flavor.load()
    if hasattr(trt_mod, name) or name not in _RNN_ENUMS:
        return getattr(trt_mod, name)
    return getattr(enums, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *dir(_flavor.load()), *_RNN_ENUMS})


install()
