"""The READMEs' Python blocks run as pasted, each in a fresh interpreter in an empty directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
#: READMEs whose every Python block is a complete program.
READMES = (
    "README.md",
    "packages/rnn-loop/README.md",
    "packages/rnn-v2/README.md",
    "packages/rnn-legacy/README.md",
    "packages/core/README.md",
)
BLOCKS = [
    (name, index, code)
    for name in READMES
    for index, code in enumerate(
        re.findall(r"```python\n(.*?)```", (ROOT / name).read_text(), flags=re.DOTALL)
    )
]


def test_readmes_have_python_examples_that_say_what_they_print() -> None:
    assert {name for name, _, _ in BLOCKS} == set(READMES)
    assert sum("# prints: " in code for _, _, code in BLOCKS) >= 3


@pytest.mark.parametrize(("name", "index", "code"), BLOCKS, ids=[f"{n}-{i}" for n, i, _ in BLOCKS])
def test_readme_block_runs(name: str, index: int, code: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{name} block {index} failed:\n{code}\n--- stderr ---\n{done.stderr}"
    for promised in re.findall(r"# prints: (.+)", code):  # what the README says the block prints
        assert promised.strip() in done.stdout.splitlines(), (promised, done.stdout)


#: The README's shell block of `trtrnn` commands, run line by line in an empty folder.
CLI_BLOCK = next(
    block
    for block in re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    if "trtrnn run" in block
)


def test_readme_cli_block_runs_as_pasted(tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)  # the environment's `python` and `trtrnn` scripts
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    for line in (ln for ln in CLI_BLOCK.splitlines() if ln.strip()):
        done = subprocess.run(
            line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, f"{line}\n--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"
    for made in ("rnn.engine", "model.engine", "out.onnx", "out.npz"):
        assert (tmp_path / made).stat().st_size > 0, made
