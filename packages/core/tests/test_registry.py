"""`trtrnn.registry.lowering`: how compatibility backends find the lowering without importing it."""

from __future__ import annotations

import pytest

from trtrnn import Backend, Feature, hookimpl, registry
from trtrnn.errors import BackendError


def _backend(name: str, *, lowering: bool = True, available: bool = True, **extra: object) -> Backend:
    def build(network, spec, inputs, *, name=None):  # never called here
        raise AssertionError("not built")

    why = "" if available else f"{name} needs a GPU"
    return Backend(name, "test", build, availability=lambda: (available, why), lowering=lowering, **extra)


def test_the_installed_lowering_is_rnn_loop() -> None:
    found = registry.lowering()
    assert found.name == registry.DEFAULT_LOWERING == "rnn-loop"
    assert found is registry.get("rnn-loop")


def _registering(*found: Backend) -> object:
    """An in-memory plugin registering `found`, for `registry.limited_to`."""

    class Plugin:
        @hookimpl
        def register_backends(self, register):
            for backend in found:
                register(backend)

    return Plugin()


def test_default_lowering_is_preferred_then_first_by_name() -> None:
    others = [_backend(n) for n in ("a-loop", "z-loop")]
    with registry.limited_to(_registering(*others, _backend("rnn-loop"))):
        assert registry.lowering().name == "rnn-loop"
    with registry.limited_to(_registering(*others)):
        assert registry.lowering().name == "a-loop"


def test_only_available_full_lowerings_count() -> None:
    partial = _backend("partial", unsupported={Feature.SEQ_LENGTHS: "no lengths"})
    api = _backend("api", lowering=False)
    with registry.limited_to(_registering(partial, api)):
        with pytest.raises(BackendError, match=r"no lowering backend is installed .*pip install trtrnn-loop"):
            registry.lowering()
    with registry.limited_to(_registering(_backend("gpu", available=False))):
        with pytest.raises(
            BackendError, match=r"no lowering backend is available here \(gpu: gpu needs a GPU\)"
        ):
            registry.lowering()


def test_compatibility_availability_names_the_api_and_what_is_missing() -> None:
    assert registry.compatibility_availability("add_rnn_v2", native=True) == (True, "")
    assert registry.compatibility_availability("add_rnn_v2", native=False) == (True, "")  # rnn-loop installed
    with registry.limited_to():
        ok, why = registry.compatibility_availability("add_rnn", native=False)
    assert not ok and why.startswith("this TensorRT has no add_rnn, and no lowering backend is installed")


def test_compatibility_without_any_tensorrt_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from trtrnn import trt

    monkeypatch.setattr(trt, "available", lambda: False)
    ok, why = registry.compatibility_availability("add_rnn_v2", native=False)
    assert not ok and why == f"no TensorRT is importable; {trt.INSTALL_HINT}"


def test_limited_to_shows_only_the_given_plugins_and_restores_the_installed_ones() -> None:
    installed = registry.backends()
    chosen = _backend("chosen-loop")
    with registry.limited_to(_registering(chosen)) as found:
        assert found == registry.backends() == {"chosen-loop": chosen}
        assert registry.lowering() is registry.get("chosen-loop") is chosen
        with pytest.raises(
            BackendError, match="backend 'rnn-loop' is not installed; installed backends: chosen-loop"
        ):
            registry.get("rnn-loop")
        with registry.limited_to():
            with pytest.raises(BackendError, match="no lowering backend is installed"):
                registry.lowering()
        assert registry.backends() == {"chosen-loop": chosen}
    assert registry.backends() == installed and registry.lowering().name == "rnn-loop"


def test_the_onnx_rewriter_comes_from_a_backend_that_has_one() -> None:
    """`trtrnn rewrite` finds its rewriter in the registry (core knows no backend); no TensorRT needed:
    an unavailable backend's rewriter still counts."""
    from trtrnn.errors import BackendNotInstalledError

    ours, theirs = object(), object()
    with registry.limited_to(
        _registering(_backend("a-loop", onnx_rewriter=theirs), _backend("rnn-loop", onnx_rewriter=ours))
    ):
        assert registry.onnx_rewriter() is ours
    with registry.limited_to(_registering(_backend("z-loop", available=False, onnx_rewriter=theirs))):
        assert registry.onnx_rewriter() is theirs
    with registry.limited_to(_registering(_backend("rnn-loop"))):
        with pytest.raises(
            BackendNotInstalledError, match=r"no installed backend rewrites ONNX models.*trtrnn-loop"
        ):
            registry.onnx_rewriter()
