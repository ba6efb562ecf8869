"""The conformance matrix: per backend, features x tiers with pass / fail / n/a / not run counts.

Rendered three ways from the same records: plain text for the terminal, Markdown and JSON files
under `reports/` (one pair per backend, so separate nox sessions never overwrite each other; each
written atomically). Counts are per case: a case counts in the row of every feature it needs.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trtrnn.conformance.cases import SOURCES
from trtrnn.conformance.tiers import TIERS, Status, TierResult
from trtrnn.files import atomic_write
from trtrnn.spec import Feature

#: Order of the statuses in a cell.
STATUS_ORDER = (Status.PASS, Status.FAIL, Status.NA, Status.NOT_RUN)
#: Failures shown in full in the terminal and the Markdown file (all of them are in the JSON).
SHOWN_FAILURES = 20


@dataclass
class Record:
    """One tier of one case against one backend."""

    backend: str
    case_id: str
    source: str
    features: list[str]
    description: str
    oracle: str
    tier: str
    result: TierResult


@dataclass
class Report:
    """Every record of a session plus facts about the run (TensorRT flavor, options, wall time)."""

    meta: dict[str, Any] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    wall: dict[str, float] = field(default_factory=dict)

    def add(self, record: Record, seconds: float) -> None:
        self.records.append(record)
        self.wall[record.backend] = self.wall.get(record.backend, 0.0) + seconds

    def backends(self) -> list[str]:
        return list(dict.fromkeys(r.backend for r in self.records))

    def of(self, backend: str) -> list[Record]:
        return [r for r in self.records if r.backend == backend]

    # ---- the matrix -----------------------------------------------------------------------
    def rows(self, backend: str) -> list[tuple[str, int, dict[str, Counter]]]:
        """(label, number of cases, {tier: Counter of statuses}) for all, each source, each feature."""
        records = self.of(backend)
        groups: list[tuple[str, Iterable[Record]]] = [("all cases", records)]
        groups += [(f"source: {s}", [r for r in records if r.source == s]) for s in SOURCES]
        groups += [(f.value, [r for r in records if f.value in r.features]) for f in Feature]
        rows = []
        for label, group in groups:
            group = list(group)
            cells = {tier: Counter(r.result.status for r in group if r.tier == tier) for tier in TIERS}
            rows.append((label, len({r.case_id for r in group}), cells))
        return rows

    def counts(self, backend: str) -> dict[str, int]:
        """Cases per source for one backend."""
        seen = {(r.case_id, r.source) for r in self.of(backend)}
        return {s: n for s in SOURCES if (n := sum(1 for _, src in seen if src == s))}

    # ---- rendering ------------------------------------------------------------------------
    def text(self, backend: str) -> str:
        """The matrix as a fixed-width table plus failures and reasons, for the terminal."""
        rows = self.rows(backend)
        header = ["feature / source", "cases", *TIERS]
        body = [[label, str(n), *(_cell(cells[t]) for t in TIERS)] for label, n, cells in rows if n]
        table = _fixed_width([header, *body])
        out = [self._title(backend), table[0], "-" * len(table[0]), *table[1:]]
        absent = [label for label, n, _ in rows if not n]
        if absent:
            out.append("no case needed: " + ", ".join(absent))
        out += ["", *self._reasons(backend), *self._failures(backend, markdown=False)]
        return "\n".join(out).rstrip() + "\n"

    def markdown(self, backend: str) -> str:
        """The same matrix as Markdown, plus every case's tiers."""
        out = [f"# Conformance: {backend}", "", self._title(backend), ""]
        out += [
            "| feature / source | cases | " + " | ".join(TIERS) + " |",
            "|---|---:|" + "---|" * len(TIERS),
        ]
        for label, n, cells in self.rows(backend):
            out.append(f"| {label} | {n} | " + " | ".join(_cell(cells[t]) if n else "" for t in TIERS) + " |")
        out += ["", "## Reasons", "", *[f"- {r}" for r in self._reasons(backend)[1:]], ""]
        out += self._failures(backend, markdown=True)
        out += ["## Cases", "", "| case | oracle | " + " | ".join(TIERS) + " | engine | max abs err |"]
        out.append("|---|---|" + "---|" * len(TIERS) + "---:|---:|")
        for case_id, tiers in self._by_case(backend).items():
            any_record = next(iter(tiers.values()))
            engine = tiers.get("built")
            size = (
                f"{engine.result.engine_bytes / 1e6:.2f} MB" if engine and engine.result.engine_bytes else ""
            )
            errs = [r.result.max_abs for r in tiers.values() if r.result.max_abs is not None]
            err = f"{max(errs):.2g}" if errs else ""
            cells = " | ".join(tiers[t].result.status.value if t in tiers else "" for t in TIERS)
            out.append(f"| `{case_id}` | {any_record.oracle} | {cells} | {size} | {err} |")
        return "\n".join(out) + "\n"

    def json(self, backend: str) -> dict[str, Any]:
        cases = []
        for case_id, tiers in self._by_case(backend).items():
            first = next(iter(tiers.values()))
            cases.append(
                {
                    "id": case_id,
                    "source": first.source,
                    "description": first.description,
                    "oracle": first.oracle,
                    "features": first.features,
                    "tiers": {t: _result_json(r.result) for t, r in tiers.items()},
                }
            )
        return {
            "backend": backend,
            "meta": self.meta,
            "wall_seconds": round(self.wall.get(backend, 0.0), 3),
            "case_counts": self.counts(backend),
            "matrix": {
                label: {
                    "cases": n,
                    **{t: {s.value: c[s] for s in STATUS_ORDER if c[s]} for t, c in cells.items()},
                }
                for label, n, cells in self.rows(backend)
                if n
            },
            "engine_bytes": self._engine_sizes(backend),
            "cases": cases,
        }

    def write(self, directory: Path, backend: str) -> list[Path]:
        """Write `conformance-<backend>.md` and `.json` atomically; return their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        stem = directory / f"conformance-{backend}"
        md, js = stem.with_suffix(".md"), stem.with_suffix(".json")
        write_atomic(md, self.markdown(backend))
        write_atomic(js, json.dumps(self.json(backend), indent=1) + "\n")
        return [md, js]

    # ---- pieces ---------------------------------------------------------------------------
    def _title(self, backend: str) -> str:
        counts = ", ".join(f"{s} {n}" for s, n in self.counts(backend).items())
        total = len({r.case_id for r in self.of(backend)})
        facts = [f"{total} cases ({counts})", f"{self.wall.get(backend, 0.0):.1f} s"]
        facts += [f"{k}: {v}" for k, v in self.meta.items() if k != "backends"]
        described = self.meta.get("backends", {}).get(backend, "")
        return f"backend {backend}" + (f" — {described}" if described else "") + "\n" + "; ".join(facts)

    def _reasons(self, backend: str) -> list[str]:
        reasons = Counter(
            (r.tier, r.result.status.value, r.result.reason)
            for r in self.of(backend)
            if r.result.status in (Status.NA, Status.NOT_RUN)
        )
        lines = ["n/a and not run, by reason:"] if reasons else ["every tier of every case ran"]
        lines += [f"{tier} {status} x{n}: {why}" for (tier, status, why), n in sorted(reasons.items())]
        judged = [
            r for r in self.of(backend) if r.result.status == Status.PASS and r.result.max_abs is not None
        ]
        if judged:
            worst = max(judged, key=lambda r: r.result.max_abs or 0.0)
            lines.append(
                f"largest error among passing comparisons: {worst.result.max_abs:.3g} abs "
                f"({worst.case_id} [{worst.tier}])"
            )
        sizes = self._engine_sizes(backend)
        if sizes:
            lines.append(
                f"engine size over {sizes['count']} built engines: min {sizes['min'] / 1e6:.2f} MB, "
                f"median {sizes['median'] / 1e6:.2f} MB, max {sizes['max'] / 1e6:.2f} MB"
            )
        return lines

    def _failures(self, backend: str, markdown: bool) -> list[str]:
        failed = [r for r in self.of(backend) if r.result.status == Status.FAIL]
        if not failed:
            return ["## Failures", "", "none", ""] if markdown else ["failures: none"]
        out = ["## Failures", ""] if markdown else [f"failures: {len(failed)}"]
        for r in failed[:SHOWN_FAILURES]:
            if markdown:
                out += [
                    f"### `{r.case_id}` [{r.tier}]",
                    "",
                    "```",
                    r.result.detail or r.result.reason,
                    "```",
                    "",
                ]
            else:
                out.append(f"  FAIL {r.case_id} [{r.tier}]: {r.result.reason}")
        if len(failed) > SHOWN_FAILURES:
            out.append(f"... and {len(failed) - SHOWN_FAILURES} more (all in the JSON report)")
        return out

    def _by_case(self, backend: str) -> dict[str, dict[str, Record]]:
        cases: dict[str, dict[str, Record]] = {}
        for r in self.of(backend):
            cases.setdefault(r.case_id, {})[r.tier] = r
        return cases

    def _engine_sizes(self, backend: str) -> dict[str, int]:
        sizes = [
            r.result.engine_bytes
            for r in self.of(backend)
            if r.tier == "built" and r.source != "property" and r.result.engine_bytes
        ]
        if not sizes:
            return {}
        return {
            "count": len(sizes),
            "min": min(sizes),
            "median": int(statistics.median(sizes)),
            "max": max(sizes),
        }


def load_reports(directory: Path) -> list[dict[str, Any]]:
    """Every per-backend JSON report in `directory` (e.g. one per nox session), by backend name."""
    found = []
    for path in sorted(directory.glob("conformance-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not ours, or unreadable: the per-backend files stay the source
        if isinstance(data, dict) and "backend" in data and "matrix" in data:
            found.append(data)
    return found


def combined(reports: list[dict[str, Any]]) -> tuple[str, str]:
    """Backends x features, one table per tier, as (terminal text, Markdown), from JSON reports."""
    names = [r["backend"] for r in reports]
    labels = list(dict.fromkeys(label for r in reports for label in r["matrix"]))
    runs = "; ".join(f"{r['backend']}: {r['meta'].get('date')}, {r['meta'].get('subset')}" for r in reports)
    text, md = [f"runs: {runs}"], ["# Conformance: backends x features", "", f"Runs: {runs}", ""]
    for tier in TIERS:
        rows = [
            [label, *(_cell(_counts(r["matrix"].get(label, {}).get(tier, {}))) for r in reports)]
            for label in labels
        ]
        text += ["", *_fixed_width([[f"{tier}: feature / source", *names], *rows])]
        md += [f"## {tier}", "", f"| feature / source | {' | '.join(names)} |", "|---|" + "---|" * len(names)]
        md += [f"| {' | '.join(row)} |" for row in rows] + [""]
    return "\n".join(text) + "\n", "\n".join(md)


def _counts(by_name: dict[str, int]) -> Counter:
    return Counter({Status(name): n for name, n in by_name.items()})


def _fixed_width(rows: list[list[str]]) -> list[str]:
    """Rows as left-aligned columns two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]


def _cell(counts: Counter) -> str:
    names = {Status.PASS: "pass", Status.FAIL: "FAIL", Status.NA: "n/a", Status.NOT_RUN: "not run"}
    return ", ".join(f"{counts[s]} {names[s]}" for s in STATUS_ORDER if counts[s]) or "-"


def _result_json(result: TierResult) -> dict[str, Any]:
    data = asdict(result)
    data["status"] = result.status.value
    data["seconds"] = round(result.seconds, 4)
    return {k: v for k, v in data.items() if v not in (None, "")}


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (trtrnn.files.atomic_write)."""
    atomic_write(path, text)
