"""Nearest expressible variants of the matrix cases a backend cannot express.

A backend whose API lacks a feature (rnn-legacy has no seq_lengths) reports the cases that need it as
N/A, which is honest but would also drop everything else those cases check: about two thirds of the
covering rows have lengths. Each such case is therefore run a second time, for those backends only,
with the inexpressible parts taken out (lengths removed, states fed as constants or dropped). Every
other factor of the row keeps its level, so the covering design's strength-3 guarantee still holds
over the factors the backend can express. The oracle stays the same one, rerun on the relaxed spec
(`trtrnn.reference`, or onnxruntime on the relaxed ONNX model); the seed's printed tables cannot be
rerun, so seed cases are never relaxed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from trtrnn.backend import Backend
from trtrnn.conformance.cases import SPEC_ORACLES, Case
from trtrnn.spec import Feature

Relaxation = Callable[[Case], "Case | None"]

#: Generated cases; the seed's and plugins' cases are what their authors wrote.
RELAXED_SOURCES = ("matrix", "onnx")


def _replace_spec(case: Case, **changes: object) -> Case:
    return dataclasses.replace(case, spec=case.spec.replace(**changes).validate())


def _states_as_constants(case: Case) -> Case | None:
    # a dynamic batch needs its per-item data as network inputs: no constant can have a -1 dim
    return None if case.dynamic_batch else dataclasses.replace(case, as_inputs=False)


#: How to take a feature out of a case without changing anything else; a feature missing here
#: (an op, direction, depth, input mode, leading dims, dynamic batch) is what the case is about.
RELAXATIONS: dict[Feature, tuple[str, Relaxation]] = {
    Feature.SEQ_LENGTHS: ("lengths", lambda c: _replace_spec(c, seq_lengths=None)),
    Feature.STATE_INPUTS: ("inputs", _states_as_constants),
    Feature.HIDDEN_STATE: ("h0", lambda c: _replace_spec(c, hidden_state=None)),
    Feature.CELL_STATE: ("c0", lambda c: _replace_spec(c, cell_state=None)),
}


def relax(case: Case, unsupported: Iterable[Feature]) -> Case | None:
    """`case` without the `unsupported` features it needs, or None when that would change what it is.

    The variant's id names what was taken out (`...-without_lengths`); its oracle is rerun on it.
    """
    unsupported = frozenset(unsupported)
    rejudge = SPEC_ORACLES.get(case.oracle)
    if (case.expected is not None and rejudge is None) or not case.needed() & unsupported:
        return None
    removed: list[str] = []
    relaxed: Case | None = case
    for feature, (tag, take_out) in RELAXATIONS.items():
        if relaxed is not None and feature in unsupported and feature in relaxed.needed():
            relaxed = take_out(relaxed)
            removed.append(tag)
    if relaxed is None or relaxed.needed() & unsupported:
        return None
    return dataclasses.replace(
        relaxed,
        expected=None if rejudge is None else rejudge(relaxed.spec, relaxed.x),
        id=f"{case.id}-without_{'_'.join(removed)}",
        note=f"{case.id} with {', '.join(removed)} taken out: the backend cannot express them",
    )


def relaxed_cases(cases: Iterable[Any], backends: Mapping[str, Backend]) -> list[Case]:
    """For each generated case some backends cannot express, its relaxed variant for those backends.

    Backends that need the same relaxation share one variant (one id, `backends` = all of them).
    """
    variants: dict[str, Case] = {}
    owners: dict[str, set[str]] = {}
    for case in cases:
        if not isinstance(case, Case) or case.source not in RELAXED_SOURCES:
            continue
        for name, backend in backends.items():
            variant = (
                None if case.backends and name not in case.backends else relax(case, backend.unsupported)
            )
            if variant is not None:
                variants.setdefault(variant.id, variant)
                owners.setdefault(variant.id, set()).add(name)
    return [dataclasses.replace(v, backends=frozenset(owners[i])) for i, v in variants.items()]
