"""The whole extension surface of trtrnn: two hooks.

A plugin is a module listed under the `trtrnn` entry-point group; it implements
`register_backends(register)` and calls `register(Backend(...))` once per backend it offers.
Core's own packages (rnn-loop, rnn-v2, rnn-legacy) register exactly the same way. A plugin may also
implement `conformance_cases(register)` to add cases to the shared conformance suite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # real types for readers and checkers, no import cost (as pytest's hookspec)
    from trtrnn.backend import Backend
    from trtrnn.conformance.cases import Case

hookspec = pluggy.HookspecMarker("trtrnn")
hookimpl = pluggy.HookimplMarker("trtrnn")


@hookspec
def register_backends(register: Callable[[Backend], None]) -> None:
    """Call `register(trtrnn.Backend(...))` for every backend this plugin provides."""


@hookspec
def conformance_cases(register: Callable[[Case], None]) -> None:
    """Call `register(trtrnn.conformance.Case(...))` for every extra case the conformance suite should
    run (against every backend under test, or only those named in the case's `backends`)."""
