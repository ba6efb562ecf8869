"""RNN enums with TensorRT's names and values (SEMANTICS.md §3), plus the gates each op uses.

TensorRT-RTX and TensorRT >= 10 have no RNN enums, so these are the single definition every package uses.
`coerce` also accepts TensorRT's own enum members (where the installed TensorRT still has them) and ints.
"""

from __future__ import annotations

import enum
from typing import TypeVar

from trtrnn.errors import SpecError


class RNNOperation(enum.IntEnum):
    RELU = 0
    TANH = 1
    LSTM = 2
    GRU = 3


class RNNDirection(enum.IntEnum):
    UNIDIRECTION = 0
    BIDIRECTION = 1


class RNNInputMode(enum.IntEnum):
    LINEAR = 0
    SKIP = 1


class RNNGateType(enum.IntEnum):
    INPUT = 0
    OUTPUT = 1
    FORGET = 2
    UPDATE = 3
    RESET = 4
    CELL = 5
    HIDDEN = 6


#: Gates of each op, in the order of SEMANTICS.md §2 (the order the fused lowering stacks them in).
GATES: dict[RNNOperation, tuple[RNNGateType, ...]] = {
    RNNOperation.RELU: (RNNGateType.INPUT,),
    RNNOperation.TANH: (RNNGateType.INPUT,),
    RNNOperation.LSTM: (RNNGateType.INPUT, RNNGateType.FORGET, RNNGateType.CELL, RNNGateType.OUTPUT),
    RNNOperation.GRU: (RNNGateType.UPDATE, RNNGateType.RESET, RNNGateType.HIDDEN),
}

E = TypeVar("E", bound=enum.IntEnum)


def coerce(enum_cls: type[E], value: object, field: str) -> E:
    """Turn a trtrnn member, a TensorRT member of the same name, a name or an int into `enum_cls`."""
    if isinstance(value, enum_cls):
        return value
    name = getattr(value, "name", None)
    if isinstance(name, str) and name in enum_cls.__members__:
        return enum_cls[name]
    if isinstance(value, str) and value.upper() in enum_cls.__members__:
        return enum_cls[value.upper()]
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return enum_cls(value)
        except ValueError:
            pass
    choices = ", ".join(f"{m.name}={m.value}" for m in enum_cls)
    raise SpecError(f"{field}: expected a {enum_cls.__name__} ({choices}); got {value!r}")
