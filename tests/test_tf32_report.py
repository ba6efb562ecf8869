"""The committed GPU proof of the TF32 model (reports/tf32-gpu.json, made by tools/tf32_probe.py on an
H200) still holds for trtrnn.tf32 as it is now: judged again with its current default mode."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
REPORT = ROOT / "reports" / "tf32-gpu.json"


def test_the_gpu_report_supports_the_default_rounding(tmp_path: Path) -> None:
    from trtrnn import tf32

    copy = tmp_path / "tf32-gpu.json"
    shutil.copy(REPORT, copy)
    probe = [sys.executable, str(ROOT / "tools" / "tf32_probe.py"), "--recheck", str(copy)]
    result = subprocess.run(probe, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    again = json.loads(copy.read_text())["verdict_rechecked"]
    assert again["default_mode"] == tf32.DEFAULT_MODE
    assert again["modes_matching_the_hardware_exactly"] == [tf32.DEFAULT_MODE]
    assert again["worst_ratio_default_mode"] <= 1.0
    original = json.loads(REPORT.read_text())
    assert original["device"].startswith("NVIDIA") and original["blas"] is not None  # a GPU made it
