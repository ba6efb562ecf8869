"""One interface for running a built network: on CPU (trtrnn's evaluator) or on a GPU (an engine).

Code written against `Executor.infer(feeds) -> dict` runs on either, so the conformance suite picks
the "evaluated" or "executed" tier by name:

```python
with executor("gpu" if trtrnn.trt.engine_execution() else "cpu", network=net, serialized=blob) as run:
    outputs = run.infer({"input": x})
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np

from trtrnn import trt
from trtrnn.engine import Engine
from trtrnn.errors import BackendError, TrtrnnError

#: Executor names, in the order the tiers are reported.
NAMES = ("cpu", "gpu")


@runtime_checkable
class Executor(Protocol):
    """Runs one network: numpy arrays by input name in, numpy arrays by output name out."""

    name: str

    def infer(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]: ...


class CpuExecutor:
    """The "evaluated" tier: `trtrnn.evaluate` walks the INetworkDefinition with numpy."""

    name = "cpu"

    def __init__(self, network: Any) -> None:
        if network is None:
            raise TrtrnnError("CpuExecutor: needs the INetworkDefinition (the evaluator runs the network)")
        self.network = network

    def infer(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        from trtrnn import evaluate

        return evaluate(self.network, dict(feeds))

    def close(self) -> None:
        """Nothing to free; present so both executors are used the same way."""

    def __enter__(self) -> CpuExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class GpuExecutor:
    """The "executed" tier: a serialized engine run by `Engine.infer` on a CUDA GPU."""

    name = "gpu"

    def __init__(self, serialized: bytes | Engine) -> None:
        self.engine = serialized if isinstance(serialized, Engine) else Engine(serialized)

    def infer(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return self.engine.infer(feeds)

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> GpuExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def availability(name: str) -> trt.Capability:
    """Whether the executor `name` can run here, with the reason when it cannot."""
    _check_name(name)
    if name == "gpu":
        return trt.engine_execution()
    try:
        import trtrnn.evaluator  # noqa: F401
    except ImportError as exc:
        return trt.Capability("cpu evaluator", False, f"trtrnn.evaluator cannot be imported: {exc}")
    return trt.Capability("cpu evaluator", True)


def executor(
    name: str, *, network: Any = None, serialized: bytes | Engine | None = None
) -> CpuExecutor | GpuExecutor:
    """The executor called `name` ("cpu" needs `network`; "gpu" needs `serialized` or `network`)."""
    _check_name(name)
    if name == "cpu":
        return CpuExecutor(network)
    if serialized is None:
        if network is None:
            raise TrtrnnError("executor('gpu'): needs serialized engine bytes (or the network to build them)")
        serialized = Engine.build(network)
    return GpuExecutor(serialized)


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise BackendError(f"executor: unknown name {name!r}; expected one of {', '.join(NAMES)}")
