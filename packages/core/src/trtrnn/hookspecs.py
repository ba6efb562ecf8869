"""The whole extension surface of trtrnn: one hook.

A plugin is a module listed under the `trtrnn` entry-point group; it implements
`register_backends(register)` and calls `register(Backend(...))` once per backend it offers.
Core's own packages (rnn-loop, rnn-v2, rnn-legacy) register exactly the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

hookspec = pluggy.HookspecMarker("trtrnn")
hookimpl = pluggy.HookimplMarker("trtrnn")


@hookspec
def register_backends(register: Callable[[object], None]) -> None:
    """Call `register(trtrnn.Backend(...))` for every backend this plugin provides."""
