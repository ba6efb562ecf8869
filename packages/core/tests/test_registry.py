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


def test_default_lowering_is_preferred_then_first_by_name() -> None:
    others = {n: _backend(n) for n in ("a-loop", "z-loop")}
    assert registry.lowering({**others, "rnn-loop": _backend("rnn-loop")}).name == "rnn-loop"
    assert registry.lowering(others).name == "a-loop"


def test_only_available_full_lowerings_count() -> None:
    partial = _backend("partial", unsupported={Feature.SEQ_LENGTHS: "no lengths"})
    api = _backend("api", lowering=False)
    with pytest.raises(BackendError, match=r"no lowering backend is installed .*pip install trtrnn-loop"):
        registry.lowering({"partial": partial, "api": api})
    with pytest.raises(BackendError, match=r"no lowering backend is available here \(gpu: gpu needs a GPU\)"):
        registry.lowering({"gpu": _backend("gpu", available=False)})


def test_compatibility_availability_names_the_api_and_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert registry.compatibility_availability("add_rnn_v2", native=True) == (True, "")
    assert registry.compatibility_availability("add_rnn_v2", native=False) == (True, "")  # rnn-loop installed
    monkeypatch.setattr(registry, "backends", lambda: {})
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

    class Plugin:
        @hookimpl
        def register_backends(self, register):
            register(chosen)

    with registry.limited_to(Plugin()) as found:
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
