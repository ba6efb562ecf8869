"""The conformance matrix and its files, from hand-made records (counts known by construction)."""

from __future__ import annotations

import json
from pathlib import Path

from trtrnn.conformance.report import Record, Report, combined, load_reports, write_atomic
from trtrnn.conformance.tiers import Status, TierResult


def _record(
    backend: str, case: str, source: str, features: list[str], tier: str, result: TierResult
) -> Record:
    return Record(backend, case, source, features, f"{case} described", "trtrnn.reference", tier, result)


def _report() -> Report:
    report = Report(meta={"tensorrt": "tensorrt_rtx 1.7", "backends": {"b1": "first backend"}})
    not_run = TierResult(Status.NOT_RUN, "no GPU")
    lstm = ["op LSTM", "seq_lengths"]
    na = TierResult(Status.NA, "b1 cannot express op RELU: no")
    fail = TierResult(
        Status.FAIL, "'output' differs from trtrnn.reference", detail="first mismatch at index (0,)"
    )
    cases = [
        (
            "c1",
            "matrix",
            lstm,
            TierResult(Status.PASS, engine_bytes=10**6),
            TierResult(Status.PASS, max_abs=1e-7),
        ),
        ("c2", "matrix", lstm, TierResult(Status.PASS, engine_bytes=3 * 10**6), fail),
        ("c3", "seed", ["op RELU"], na, na),
    ]
    for case, source, features, built, evaluated in cases:
        for tier, result in (("built", built), ("evaluated", evaluated), ("executed", not_run)):
            report.add(_record("b1", case, source, features, tier, result), seconds=0.5)
    report.add(_record("b2", "c1", "matrix", lstm, "built", TierResult(Status.PASS)), seconds=1.0)
    return report


def test_rows_count_cases_per_feature_and_tier() -> None:
    rows = {label: (n, cells) for label, n, cells in _report().rows("b1")}
    n, cells = rows["all cases"]
    assert n == 3
    assert cells["built"] == {Status.PASS: 2, Status.NA: 1}
    assert cells["evaluated"] == {Status.PASS: 1, Status.FAIL: 1, Status.NA: 1}
    assert cells["executed"] == {Status.NOT_RUN: 3}
    assert rows["op LSTM"][0] == 2 and rows["seq_lengths"][1]["evaluated"] == {Status.PASS: 1, Status.FAIL: 1}
    assert rows["source: seed"][0] == 1 and rows["op GRU"][0] == 0


def test_terminal_text_shows_cells_reasons_failures_and_sizes() -> None:
    text = _report().text("b1")
    assert text.startswith(
        "backend b1 — first backend\n3 cases (seed 1, matrix 2); 4.5 s; tensorrt: tensorrt_rtx 1.7"
    )
    all_cases = next(line for line in text.splitlines() if line.startswith("all cases"))
    assert all_cases.split()[2:] == "3 2 pass, 1 n/a 1 pass, 1 FAIL, 1 n/a 3 not run".split()
    assert "executed not run x3: no GPU" in text
    assert "built n/a x1: b1 cannot express op RELU: no" in text
    assert "FAIL c2 [evaluated]: 'output' differs from trtrnn.reference" in text
    assert "largest error among passing comparisons: 1e-07 abs (c1 [evaluated])" in text
    assert "engine size over 2 built engines: min 1.00 MB, median 2.00 MB, max 3.00 MB" in text
    assert "no case needed: " in text and "op GRU" in text


def test_files_are_per_backend_and_complete(tmp_path: Path) -> None:
    report = _report()
    paths = report.write(tmp_path / "reports", "b1") + report.write(tmp_path / "reports", "b2")
    assert [p.name for p in paths] == [
        "conformance-b1.md", "conformance-b1.json", "conformance-b2.md", "conformance-b2.json"
    ]  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == sorted(
        p.name for p in paths
    )  # no temp left
    data = json.loads((tmp_path / "reports" / "conformance-b1.json").read_text())
    assert data["case_counts"] == {"seed": 1, "matrix": 2} and data["wall_seconds"] == 4.5
    assert data["matrix"]["all cases"]["evaluated"] == {"pass": 1, "fail": 1, "n/a": 1}
    c2 = next(c for c in data["cases"] if c["id"] == "c2")
    assert c2["tiers"]["evaluated"] == {
        "status": "fail", "reason": "'output' differs from trtrnn.reference",
        "detail": "first mismatch at index (0,)", "seconds": 0.0,
    }  # fmt: skip
    md = (tmp_path / "reports" / "conformance-b1.md").read_text()
    assert "| all cases | 3 | 2 pass, 1 n/a | 1 pass, 1 FAIL, 1 n/a | 3 not run |" in md
    assert "### `c2` [evaluated]\n\n```\nfirst mismatch at index (0,)\n```" in md
    assert "| `c1` | trtrnn.reference | pass | pass | not run | 1.00 MB | 1e-07 |" in md
    assert json.loads((tmp_path / "reports" / "conformance-b2.json").read_text())["case_counts"] == {
        "matrix": 1
    }


def test_write_atomic_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    target.write_text("old and longer content")
    write_atomic(target, "new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["r.md"]


def test_reports_of_several_runs_combine_into_backends_by_features(tmp_path: Path) -> None:
    report = _report()
    report.write(tmp_path, "b1")
    report.write(tmp_path, "b2")
    (tmp_path / "conformance-notes.json").write_text("[1, 2]")  # not a report: ignored
    reports = load_reports(tmp_path)
    assert [r["backend"] for r in reports] == ["b1", "b2"]
    assert reports[0]["matrix"]["all cases"]["cases"] == 3
    text, markdown = combined(reports)
    lines = text.splitlines()
    evaluated = lines.index(next(line for line in lines if line.startswith("evaluated: feature / source")))
    assert lines[evaluated].split()[-2:] == ["b1", "b2"]
    assert lines[evaluated + 1].split() == "all cases 1 pass, 1 FAIL, 1 n/a -".split()
    assert "| op LSTM | 2 pass | 1 pass |" in markdown  # the built table: b2 built c1 only
