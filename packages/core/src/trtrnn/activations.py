"""ONNX's RNN activation functions (SEMANTICS §2.1): names, parameters, defaults and numpy definitions.

ONNX's RNN/GRU/LSTM operators take `activations` from a fixed list of eleven functions; some take
`alpha` and/or `beta`, consumed from `activation_alpha` / `activation_beta` in the order the functions
appear. This module is the one place that list lives: the spec validates against it, the reference
evaluates with it, the ONNX bridge reads and writes it, and backends map names to their own kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from trtrnn.enums import RNNOperation
from trtrnn.errors import SpecError


@dataclass(frozen=True)
class ActivationInfo:
    """How ONNX defines one function: which parameters it takes and their defaults."""

    name: str
    takes_alpha: bool
    takes_beta: bool
    default_alpha: float | None
    default_beta: float | None
    formula: str


#: ONNX's list, in the operator text's order. Defaults are those of the corresponding ONNX operators
#: (LeakyRelu 0.01, ThresholdedRelu 1.0, HardSigmoid 0.2/0.5, Elu 1.0, Affine 1.0/0.0); ScaledTanh's
#: experimental operator documented none: **Decision** 1.0/1.0 (plain tanh). onnxruntime defaults a
#: missing alpha/beta to 0 instead, so the ONNX bridge always writes them explicitly.
ONNX_ACTIVATIONS: dict[str, ActivationInfo] = {
    a.name: a
    for a in (
        ActivationInfo("Relu", False, False, None, None, "max(0, x)"),
        ActivationInfo("Tanh", False, False, None, None, "tanh(x)"),
        ActivationInfo("Sigmoid", False, False, None, None, "1/(1 + e^-x)"),
        ActivationInfo("Affine", True, True, 1.0, 0.0, "alpha*x + beta"),
        ActivationInfo("LeakyRelu", True, False, 0.01, None, "x if x >= 0 else alpha*x"),
        ActivationInfo("ThresholdedRelu", True, False, 1.0, None, "x if x >= alpha else 0"),
        ActivationInfo("ScaledTanh", True, True, 1.0, 1.0, "alpha*tanh(beta*x)"),
        ActivationInfo("HardSigmoid", True, True, 0.2, 0.5, "min(max(alpha*x + beta, 0), 1)"),
        ActivationInfo("Elu", True, False, 1.0, None, "x if x >= 0 else alpha*(e^x - 1)"),
        ActivationInfo("Softsign", False, False, None, None, "x/(1 + |x|)"),
        ActivationInfo("Softplus", False, False, None, None, "log(1 + e^x)"),
    )
}
_BY_LOWER = {name.lower(): name for name in ONNX_ACTIVATIONS}


@dataclass(frozen=True)
class Activation:
    """One activation function with its parameters resolved (None where the function takes none).

    Build with `Activation.of("LeakyRelu", alpha=0.1)`: the name is matched case-insensitively to
    ONNX's spelling and a missing parameter gets ONNX's default.
    """

    name: str
    alpha: float | None = None
    beta: float | None = None

    @classmethod
    def of(cls, value: object, field: str = "activation") -> Activation:
        """An Activation from a name, a (name, alpha, beta) tuple or an Activation; SpecError if invalid."""
        if isinstance(value, Activation):
            name, alpha, beta = value.name, value.alpha, value.beta
        elif isinstance(value, str):
            name, alpha, beta = value, None, None
        elif isinstance(value, (tuple, list)) and 1 <= len(value) <= 3 and isinstance(value[0], str):
            name, alpha, beta = (*value, None, None)[:3]
        else:
            raise SpecError(f"{field}: expected a function name or (name, alpha, beta); got {value!r}")
        canonical = _BY_LOWER.get(str(name).lower())
        if canonical is None:
            raise SpecError(
                f"{field}: {name!r} is not one of ONNX's RNN activation functions "
                f"({', '.join(ONNX_ACTIVATIONS)})"
            )
        info = ONNX_ACTIVATIONS[canonical]
        params = []
        for what, takes, default, given in (
            ("alpha", info.takes_alpha, info.default_alpha, alpha),
            ("beta", info.takes_beta, info.default_beta, beta),
        ):
            if not takes:
                if given is not None:
                    raise SpecError(f"{field}: {canonical} takes no {what}; got {what}={given!r}")
                params.append(None)
                continue
            value_ = default if given is None else given
            if isinstance(value_, bool) or not isinstance(value_, (int, float, np.floating, np.integer)):
                raise SpecError(f"{field}: {canonical}'s {what} must be a number; got {value_!r}")
            if not np.isfinite(value_):
                raise SpecError(f"{field}: {canonical}'s {what} must be finite; got {value_!r}")
            params.append(float(np.float32(value_)))  # ONNX attributes are float32
        return cls(canonical, params[0], params[1])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The function on `x` (float64 in the reference)."""
        return _FUNCTIONS[self.name](x, self.alpha, self.beta)

    def __str__(self) -> str:
        params = [f"{w}={v:g}" for w, v in (("alpha", self.alpha), ("beta", self.beta)) if v is not None]
        return f"{self.name}({', '.join(params)})" if params else self.name


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


_FUNCTIONS: dict[str, Callable[[np.ndarray, float | None, float | None], np.ndarray]] = {
    "Relu": lambda x, a, b: np.maximum(x, 0.0),
    "Tanh": lambda x, a, b: np.tanh(x),
    "Sigmoid": lambda x, a, b: _sigmoid(x),
    "Affine": lambda x, a, b: a * x + b,
    "LeakyRelu": lambda x, a, b: np.where(x >= 0, x, a * x),
    "ThresholdedRelu": lambda x, a, b: np.where(x >= a, x, 0.0),
    "ScaledTanh": lambda x, a, b: a * np.tanh(b * x),
    "HardSigmoid": lambda x, a, b: np.minimum(np.maximum(a * x + b, 0.0), 1.0),
    "Elu": lambda x, a, b: np.where(x >= 0, x, a * (np.exp(np.minimum(x, 0.0)) - 1.0)),
    "Softsign": lambda x, a, b: x / (1.0 + np.abs(x)),
    "Softplus": lambda x, a, b: np.logaddexp(0.0, x),
}


def default_activations(op: RNNOperation) -> tuple[Activation, ...]:
    """ONNX's defaults, which are TensorRT's ops: RNN f (Relu for RELU, Tanh for TANH); GRU f=Sigmoid,
    g=Tanh; LSTM f=Sigmoid, g=Tanh, h=Tanh."""
    names = {
        RNNOperation.RELU: ("Relu",),
        RNNOperation.TANH: ("Tanh",),
        RNNOperation.GRU: ("Sigmoid", "Tanh"),
        RNNOperation.LSTM: ("Sigmoid", "Tanh", "Tanh"),
    }[RNNOperation(op)]
    return tuple(Activation(n) for n in names)
