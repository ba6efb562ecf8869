"""docs/cli.md's sample sessions are real runs: each `$ trtrnn ...` there is run, in the doc's order and
in one scratch folder, and every output line the doc shows must be in what it prints, with the exit
code the doc gives (`# exit N`, else 0).

Only run times and byte counts may differ (they are replaced by N on both sides); a line shortened
with `...` is not compared. The files the doc's commands read are made here (`make_files`), or by an
earlier command of the doc (`demo ... --save`); a command whose input no one makes is listed in
`NOT_RUN` with the reason, and the test fails if a command is neither run nor listed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trtrnn import registry, trt

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "cli.md"

#: Commands of the doc not run here, with why (their inputs come from elsewhere or they take minutes).
NOT_RUN = {
    "trtrnn rewrite tagger.onnx": "tagger.onnx is a user's exported model the doc only names",
    "trtrnn build tagger.onnx": "tagger.onnx is a user's exported model the doc only names",
    "trtrnn rewrite notes.txt.onnx": "a user's mistake the doc only names",
    "trtrnn inspect seq_lengths.npz": "saved by a demo --save the doc does not show",
    "trtrnn rewrite gru_runtime_w.onnx": "a user's model the doc only names",
    "trtrnn inspect gru_runtime_w.onnx": "a user's model the doc only names",
    "trtrnn conformance": "the whole suite takes minutes (nox -s conformance runs it in CI)",
}

#: The backends installed when the doc's sessions were captured (`nox -s tests` installs them all).
DOC_BACKENDS = ("rnn-legacy", "rnn-loop", "rnn-persistent", "rnn-v2")

pytestmark = pytest.mark.skipif(
    not trt.available() or tuple(sorted(registry.backends())) != DOC_BACKENDS,
    reason=f"the doc's sessions were captured with TensorRT and exactly {', '.join(DOC_BACKENDS)} installed",
)


def sessions() -> list[tuple[str, list[str], int]]:
    """(command, documented output lines, exit code) for every `$ trtrnn` line of the doc's text blocks."""
    found = []
    for block in re.findall(r"```text\n(.*?)```", DOC.read_text(), flags=re.DOTALL):
        current: list | None = None
        for line in block.splitlines():
            if line.startswith("$ "):
                command, _, comment = line[2:].partition("#")
                code = re.search(r"exit (\d)", comment)
                current = [command.strip(), [], int(code.group(1)) if code else 0]
                found.append(current)
            elif current is not None:
                current[1].append(line)
    return [(c, lines, code) for c, lines, code in found]


#: Lines that describe this machine's GPU: compared up to their " — " (the reason differs by driver).
MACHINE = re.compile(r"^\s*(engine execution|executor gpu): no — |^trtrnn: unavailable here: .*GPU")


def normalized(line: str) -> str:
    """The line with what differs between runs (seconds, byte counts, dates, the GPU's error) as N,
    `(stderr)` dropped."""
    line = re.sub(r"\s*\(stderr\)\s*$", "", line.rstrip())
    if MACHINE.search(line):
        line = re.sub(r"( — | GPU: ).*", r"\1GPU-REASON", line)
    line = re.sub(r"\d+(\.\d+)? s\b", "N s", line)
    line = re.sub(r"\(\d+ bytes", "(N bytes", line)
    line = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "DATE", line)
    return re.sub(r"\s+", " ", line).strip()


def make_files(folder: Path) -> None:
    """The inputs of the doc's sessions: lstm.npz (the spec `build` shows), bad.json, gru_state_dict.npz,
    gru_lbr0.onnx (rnn-loop's committed test model) and gru_runtime_w.onnx (it, with W a graph input)."""
    from trtrnn.spec import RNNSpec
    from trtrnn.specfile import save_spec

    spec = RNNSpec.random(
        0, op="LSTM", hidden_size=8, max_seq_length=5, num_layers=2, direction="BIDIRECTION",
        batch_shape=(3,), states=True,
    )  # fmt: skip
    save_spec(folder / "lstm.npz", spec, spec.random_input(1))
    (folder / "bad.json").write_text("{bad json")
    with np.load(ROOT / "packages" / "core" / "tests" / "fixtures" / "torch_rnn.npz") as data:
        state = {k.split("/")[-1]: data[k] for k in data.files if k.startswith("gru/sd/")}
    np.savez(folder / "gru_state_dict.npz", **state)
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(ROOT / "packages" / "rnn-loop" / "tests" / "models" / "gru_lbr0.onnx"))
    onnx.save(model, folder / "gru_lbr0.onnx")
    weight = next(i for i in model.graph.initializer if i.name == model.graph.node[0].input[1])
    model.graph.input.append(helper.make_tensor_value_info(weight.name, TensorProto.FLOAT, list(weight.dims)))
    model.graph.initializer.remove(weight)  # W fed at run time: what rewrite refuses
    onnx.save(model, folder / "gru_runtime_w.onnx")


def test_every_command_of_the_doc_is_run_or_says_why_not(tmp_path: Path) -> None:
    make_files(tmp_path)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    env.pop("TRTRNN_DEBUG", None)
    problems, ran = [], 0
    for command, documented, code in sessions():
        if any(command.startswith(prefix) for prefix in NOT_RUN):
            continue
        done = subprocess.run(
            shlex.split(command), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
        ran += 1
        got = {normalized(line) for line in (done.stdout + done.stderr).splitlines()}
        if done.returncode != code:
            problems.append(f"$ {command}: exit {done.returncode}, the doc says {code}\n{done.stderr[-500:]}")
        for line in documented:
            if "..." in line or not line.strip():
                continue
            if normalized(line) not in got:
                problems.append(f"$ {command}: the doc shows a line the run did not print:\n  {line.strip()}")
    assert ran >= 8, f"only {ran} commands ran"
    assert not problems, (
        "docs/cli.md differs from a real run:\n"
        + "\n".join(problems)
        + "\n\nreal outputs in "
        + json.dumps(str(tmp_path))
    )
