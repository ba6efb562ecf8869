"""Every TensorRT name trtrnn uses exists in the oldest supported TensorRT 10 and the newest TensorRT 11.

The name lists in tests/trt_names/ were read from the real bindings wheels without importing them
(`tools/trt_names.py`; `pip download --no-deps tensorrt-cu12-bindings==10.0.1` and
`tensorrt-cu13-bindings==11.4.0.106`), plus the installed TensorRT for RTX. The names trtrnn uses are
read from its sources (every `x.attr` and every `getattr/hasattr/setattr(x, "attr")` of all packages).

The check works on bare names: `BuilderFlag.FP16` is audited as `FP16`, and an attribute of trtrnn's
own is indistinguishable from a TensorRT one of the same name (`tensorrt_names` says what counts as
one). So a TensorRT name some list lacks must be explained below: guarded (used only where a feature
check found it) or not TensorRT's after all.
A list "offers" a name when one of its entries ends with it (see tools/trt_names.py: merged strings).
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LISTS = ROOT / "tests" / "trt_names"
#: The TensorRT releases trtrnn supports at both ends (README "Supported TensorRT").
OLDEST, NEWEST = "tensorrt_cu12_bindings-10.0.1", "tensorrt_cu13_bindings-11.4.0.106"
RTX = "tensorrt_rtx_bindings-1.7.1.116"

#: Names some list lacks, and why trtrnn may still use them. Every entry must still be in use.
EXPLAINED = {
    # guarded: used only behind a check, with a fallback where the TensorRT lacks it
    "EXPLICIT_BATCH": "guarded: trt.create_network sets it only where the flag exists (gone in 11)",
    "FP16": "guarded: network.has_fp16_flag(); 11 and RTX are strongly typed, precision is the tensors' type",
    "exclusive": "guarded: ICumulativeLayer (10.4+), read by the evaluator only for a CUMULATIVE layer",
    # not TensorRT's API: names the installed TensorRT's classes happen to share with Python's or trtrnn's
    "INT": "not TensorRT: trtrnn_persistent.runtime.INT, a kernel-argument type of its CUDA launcher",
    "attr": "not TensorRT: trtrnn's own attribute names (the bindings import it from the standard library)",
    "ctypes": "not TensorRT: the standard library module (every bindings' __init__ imports it)",
    "update": "not TensorRT: dict/set update",
    "write": "not TensorRT: file and terminal writes",
}
ENUM_LIKE = re.compile(r"[A-Z][A-Z0-9_]*")


def load_list(name: str) -> frozenset[str]:
    lines = (LISTS / f"{name}.txt").read_text().splitlines()
    return frozenset(line for line in lines[1:] if line)


def offers(names: frozenset[str], name: str) -> bool:
    return name in _suffixes(names)


_SUFFIXES: dict[frozenset[str], frozenset[str]] = {}


def _suffixes(names: frozenset[str]) -> frozenset[str]:
    """Every suffix of every entry: a list offers exactly these names."""
    if names not in _SUFFIXES:
        _SUFFIXES[names] = frozenset(e[i:] for e in names for i in range(len(e)))
    return _SUFFIXES[names]


def used_names() -> dict[str, set[str]]:
    """name -> the source files of every package that use it as an attribute."""
    used: dict[str, set[str]] = {}
    for path in sorted(ROOT.glob("packages/*/src/**/*.py")):
        for name in _attributes(ast.parse(path.read_text())):
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return used


def _attributes(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            yield node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            yield node.args[1].value


def tensorrt_names(lists: dict[str, frozenset[str]]) -> set[str]:
    """What counts as a TensorRT name: a public attribute of the installed TensorRT, of its classes or
    enums (read with dir()), or an enum-like whole entry (FP16) of a list. Words of docstrings that
    merely look like identifiers in the lists are not names."""
    from trtrnn import trt

    module = trt.load()
    names = set(dir(module))
    for value in vars(module).values():
        if isinstance(value, type):
            names |= set(dir(value)) | set(getattr(value, "__members__", {}))
    names |= {n for names in lists.values() for n in names if ENUM_LIKE.fullmatch(n)}
    return {n for n in names if not n.startswith("_")}


@pytest.fixture(scope="module")
def lists() -> dict[str, frozenset[str]]:
    return {name: load_list(name) for name in (OLDEST, NEWEST, RTX)}


@pytest.fixture(scope="module")
def known(lists) -> set[str]:
    from trtrnn import trt

    if not trt.available():
        pytest.skip("no TensorRT installed to tell its names from other attributes")
    return tensorrt_names(lists)


def test_every_tensorrt_name_trtrnn_uses_is_in_every_supported_release(lists, known):
    used = used_names()
    unexplained = []
    for name, files in sorted(used.items()):
        have = {release: offers(names, name) for release, names in lists.items()}
        if name in known and not all(have.values()) and name not in EXPLAINED:
            lacking = ", ".join(r for r, ok in have.items() if not ok)
            unexplained.append(f"{name!r} (lacking in {lacking}; used in {', '.join(sorted(files))})")
    assert not unexplained, "TensorRT names some supported release lacks:\n" + "\n".join(unexplained)


def test_every_explanation_is_still_needed(lists, known):
    used = used_names()
    stale = [
        n for n in EXPLAINED if n not in used or n not in known or all(offers(v, n) for v in lists.values())
    ]
    assert not stale, f"explained names no longer used or no longer missing anywhere: {stale}"


def test_the_lists_know_what_changed_between_10_and_11(lists):
    # TensorRT 11 removed BuilderFlag.FP16 and EXPLICIT_BATCH (strongly typed, explicit batch only);
    # both have the loop API trtrnn lowers onto
    assert offers(lists[OLDEST], "FP16") and not offers(lists[NEWEST], "FP16")
    assert offers(lists[OLDEST], "EXPLICIT_BATCH") and not offers(lists[NEWEST], "EXPLICIT_BATCH")
    for name in ("add_loop", "add_reverse_sequence", "build_serialized_network", "STRONGLY_TYPED"):
        assert all(offers(names, name) for names in lists.values()), name
    assert not any(offers(names, "add_rnn_v2") for names in lists.values())


def test_the_committed_rtx_list_is_what_the_tool_reads_from_the_installed_bindings():
    spec = importlib.util.find_spec("tensorrt_rtx_bindings")
    if spec is None or spec.origin is None:
        pytest.skip("tensorrt_rtx_bindings is not installed")
    package = Path(spec.origin).parent
    version = importlib.metadata.version("tensorrt_rtx")
    if version != RTX.split("-")[1]:
        pytest.skip(f"installed tensorrt_rtx {version}; the committed list is {RTX}")
    tool = importlib.util.spec_from_file_location("trt_names", ROOT / "tools" / "trt_names.py")
    module = importlib.util.module_from_spec(tool)
    tool.loader.exec_module(module)
    _, names = module.wheel_names(package)
    assert frozenset(names) == load_list(RTX)
