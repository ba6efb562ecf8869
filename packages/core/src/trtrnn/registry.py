"""Discovering backends: a pluggy manager over the `trtrnn` entry-point group, loaded once, lazily."""

from __future__ import annotations

import contextlib
import difflib
import functools
from collections.abc import Iterator

import pluggy

from trtrnn import hookspecs
from trtrnn.backend import Backend, OnnxRewriter
from trtrnn.errors import BackendError, BackendNotInstalledError
from trtrnn.spec import EXTENDED_FEATURES

EXTENSIONS = frozenset(EXTENDED_FEATURES)

GROUP = "trtrnn"


def plugin_manager(load_entrypoints: bool = True) -> pluggy.PluginManager:
    """A fresh manager with trtrnn's hookspecs; tests register in-memory plugins on it."""
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    if load_entrypoints:
        pm.load_setuptools_entrypoints(GROUP)
    return pm


def collect(pm: pluggy.PluginManager) -> dict[str, Backend]:
    """Ask every plugin on `pm` to register its backends; names must be unique."""
    found: dict[str, Backend] = {}

    def register(backend: Backend) -> None:
        if not isinstance(backend, Backend):
            raise BackendError(f"register(): expected a trtrnn.Backend; got {type(backend).__name__}")
        if backend.name in found:
            raise BackendError(f"backend name {backend.name!r} is registered twice")
        found[backend.name] = backend

    pm.hook.register_backends(register=register)
    return dict(sorted(found.items()))


class Registry:
    """One plugin manager for every hook, and the backends its plugins register (collected once)."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._backends: dict[str, Backend] | None = None

    @property
    def backends(self) -> dict[str, Backend]:
        if self._backends is None:
            self._backends = collect(self.pm)
        return self._backends


#: The registry `limited_to` puts in place of the installed one while it is active.
_limited: Registry | None = None


@functools.cache
def _entry_points() -> Registry:
    return Registry(plugin_manager())


def current() -> Registry:
    """The registry every lookup reads: the installed plugins, or those of the enclosing `limited_to`."""
    return _entry_points() if _limited is None else _limited


def manager() -> pluggy.PluginManager:
    """The plugin manager of `current()`, for every hook (backends and conformance cases alike)."""
    return current().pm


def _installed() -> dict[str, Backend]:
    return current().backends


@contextlib.contextmanager
def limited_to(*plugins: object) -> Iterator[dict[str, Backend]]:
    """Within the block the registry holds only `plugins`: `backends`, `get`, `lowering` and the
    conformance cases of `manager()` see only what they register.

    For checking what a backend does with another lowering installed, or none, without uninstalling
    packages: the entry points are left alone and come back at the end of the block.
    """
    global _limited
    pm = plugin_manager(load_entrypoints=False)
    for plugin in plugins:
        pm.register(plugin)
    previous, _limited = _limited, Registry(pm)
    try:
        yield dict(_limited.backends)
    finally:
        _limited = previous


def backends() -> dict[str, Backend]:
    """Every installed backend by name (entry points are loaded on first call)."""
    return dict(_installed())


def get(name: str) -> Backend:
    """The backend called `name`, or BackendNotInstalledError listing the installed ones."""
    found = _installed()
    if name not in found:
        installed = ", ".join(found) or "none"
        close = difflib.get_close_matches(str(name), list(found), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise BackendNotInstalledError(
            f"backend {name!r} is not installed; installed backends: {installed} "
            f"(backends are packages registering under the 'trtrnn' entry-point group){hint}"
        )
    return found[name]


#: The lowering compatibility APIs use when several are installed (others only when it is absent).
DEFAULT_LOWERING = "rnn-loop"


def lowering() -> Backend:
    """The backend compatibility APIs lower onto where TensorRT lacks their layer.

    Among the installed backends (or those of `limited_to`), the available ones declaring `lowering`
    and no unsupported feature of TensorRT's contract (the extensions of docs/semantics.md §2.1-2.4 are
    never requested by TensorRT's APIs): DEFAULT_LOWERING if among them, else the first by name. BackendError
    says what to install when there is none, or why the installed ones cannot run here.
    """
    # the compatibility APIs request TensorRT's contract only, never the ONNX/PyTorch extensions
    candidates = [b for b in _installed().values() if b.lowering and not set(b.unsupported) - EXTENSIONS]
    if not candidates:
        raise BackendError(
            "no lowering backend is installed (one that declares `lowering=True` and expresses every "
            "feature): pip install trtrnn-loop"
        )
    ready = [b for b in candidates if b.availability()[0]]
    if not ready:
        reasons = "; ".join(f"{b.name}: {b.availability()[1]}" for b in candidates)
        raise BackendError(f"no lowering backend is available here ({reasons})")
    return next((b for b in ready if b.name == DEFAULT_LOWERING), ready[0])


def onnx_rewriter() -> OnnxRewriter:
    """The ONNX rewriter of the installed lowering backends (DEFAULT_LOWERING's when it has one).

    It needs no TensorRT (it writes ONNX), so availability is not asked. BackendNotInstalledError
    says what to install when no installed backend has one.
    """
    found = [b for b in _installed().values() if b.onnx_rewriter is not None]
    if not found:
        raise BackendNotInstalledError(
            "no installed backend rewrites ONNX models (a lowering backend with `onnx_rewriter`): "
            "pip install trtrnn-loop"
        )
    return next((b for b in found if b.name == DEFAULT_LOWERING), found[0]).onnx_rewriter


def compatibility_availability(api: str, native: bool) -> tuple[bool, str]:
    """A compatibility backend's availability: TensorRT has `api` natively, or a lowering can run."""
    from trtrnn import trt

    if not trt.available():
        return False, f"no TensorRT is importable; {trt.INSTALL_HINT}"
    if native:
        return True, ""
    try:
        lowering()
    except BackendError as exc:
        return False, f"this TensorRT has no {api}, and {exc}"
    return True, ""
