"""`trtrnn backends`: what is installed, what runs here, and what each backend cannot express."""

from __future__ import annotations

import argparse

from trtrnn import trt
from trtrnn.cli.exits import OK

NAME = "backends"
HELP = "list backends: installed, available here (or why not), what they cannot express"
#: The project's backends and the distribution that provides each (for "not installed" rows).
KNOWN_BACKENDS = {"rnn-loop": "trtrnn-loop", "rnn-v2": "trtrnn-v2", "rnn-legacy": "trtrnn-legacy"}


def configure(parser: argparse.ArgumentParser) -> None:
    """No options."""


def run(args: argparse.Namespace) -> int:
    """Table: name, installed, available here (and why not), features it cannot express."""
    from trtrnn import registry
    from trtrnn.executor import availability

    if trt.available():
        print(f"TensorRT: {trt.flavor()} {trt.version()}")
        for cap in trt.capabilities().values():
            print(f"  {cap.name}: {'yes' if cap else 'no — ' + cap.reason}")
    else:
        print(f"TensorRT: not installed — {trt.INSTALL_HINT}")
    for name in ("cpu", "gpu"):
        cap = availability(name)
        print(f"  executor {name}: {'yes' if cap else 'no — ' + cap.reason}")
    print()
    installed = registry.backends()
    rows = [("NAME", "INSTALLED", "AVAILABLE HERE", "CANNOT EXPRESS")]
    notes: list[str] = []
    for name in sorted(set(installed) | set(KNOWN_BACKENDS)):
        backend = installed.get(name)
        if backend is None:
            rows.append((name, "no", f"no: pip install {KNOWN_BACKENDS[name]}", "-"))
            continue
        ok, why = backend.availability()
        if not ok:
            notes.append(f"{name} is not available here: {why}")
        notes += [f"{name} cannot express {f.value}: {reason}" for f, reason in backend.unsupported.items()]
        cannot = ", ".join(f.value for f in backend.unsupported) or "-"
        rows.append((name, "yes", "yes" if ok else "no (see below)", cannot))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])
    if notes:
        print()
        print("\n".join(f"- {note}" for note in notes))
    return OK
