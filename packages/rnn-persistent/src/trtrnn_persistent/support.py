"""What the persistent kernel computes: TensorRT's RNN cell (SEMANTICS §2-5), not the ONNX and PyTorch
extensions (§2.1-2.4). One definition: the backend declares them (the suite reports N/A), and the build
and the host pipeline refuse a spec using one, so an extension is never silently ignored."""

from __future__ import annotations

from trtrnn.errors import SpecError
from trtrnn.spec import EXTENDED_FEATURES, Feature, RNNSpec

REASON = "the persistent kernel implements TensorRT's RNN cell only (rnn-loop builds the extensions)"
UNSUPPORTED: dict[Feature, str] = {f: REASON for f in EXTENDED_FEATURES}


def refuse_unsupported(spec: RNNSpec) -> None:
    """SpecError naming the first extension `spec` uses (the kernel would compute another RNN)."""
    used = sorted(spec.features() & UNSUPPORTED.keys(), key=lambda f: f.value)
    if used:
        raise SpecError(f"{used[0].value}: the persistent kernel does not implement it; use rnn-loop")
