"""trtrnn's jobs. `nox -s conformance` is the main one: every backend in its own fresh env."""

from __future__ import annotations

import json
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "conformance", "lint"]
nox.options.reuse_existing_virtualenvs = False

ROOT = Path(__file__).parent
CORE = "packages/core[rtx,test,cuda]"  # cuda-python: the executed tier is attempted, not assumed absent
#: backend name -> the packages it needs besides core (its own last).
BACKENDS = {
    "rnn-loop": ["packages/rnn-loop"],
    "rnn-v2": ["packages/rnn-loop", "packages/rnn-v2"],
    "rnn-legacy": ["packages/rnn-loop", "packages/rnn-legacy"],
    "rnn-persistent": ["packages/rnn-persistent"],
}
#: Extras a package is installed with (rnn-persistent: cuda-python and the NVRTC wheel, so CI compiles
#: every kernel variant without a GPU).
EXTRAS = {"packages/rnn-persistent": "[cuda]"}
#: Out-of-tree plugins the `third-party` conformance run installs: one correct, one deliberately wrong.
FIXTURE_PLUGINS = ["tests/fixtures/trtrnn-example-plugin", "tests/fixtures/trtrnn-wrong-plugin"]
THIRD_PARTY = "third-party"


def _implemented(package: str) -> bool:
    return (ROOT / package / "src" / ("trtrnn_" + package.split("-", 1)[1]) / "plugin.py").exists()


def _spec(package: str) -> str:
    """The install argument for a package directory, with its extras."""
    return package + EXTRAS.get(package, "")


@nox.session
def tests(session: nox.Session) -> None:
    """Every package's unit tests and the cross-package tests, in one env."""
    packages = [p for p in dict.fromkeys(p for pkgs in BACKENDS.values() for p in pkgs) if _implemented(p)]
    session.install("-e", CORE, *[arg for p in packages for arg in ("-e", _spec(p))])
    session.run("pytest", *session.posargs)


@nox.session
@nox.parametrize("backend", [*BACKENDS, THIRD_PARTY])
def conformance(session: nox.Session, backend: str) -> None:
    """The shared suite against one backend, installed alone with core (proves it installs alone).

    `nox -s conformance -- NAME [pytest args]` runs only backend NAME; other args go to pytest.
    `third-party` installs the fixture plugins as an outsider would and runs the suite on both.
    """
    pytest_args = list(session.posargs)
    if pytest_args and not pytest_args[0].startswith("-"):
        wanted = pytest_args.pop(0)
        if wanted not in [*BACKENDS, THIRD_PARTY]:
            session.error(
                f"{wanted!r} is not one of this repo's backends ({', '.join(BACKENDS)}); for a third-party "
                f"backend run `pytest --pyargs trtrnn.conformance --trtrnn-backend {wanted}` (or "
                f"`trtrnn conformance --backend {wanted}`) in the environment where it is installed"
            )
        if wanted != backend:
            session.skip(f"only {wanted} was asked for")
    if backend == THIRD_PARTY:
        _third_party(session, pytest_args)
        return
    packages = BACKENDS[backend]
    if not _implemented(packages[-1]):
        session.error(f"backend {backend!r}: not implemented yet ({packages[-1]} has no plugin)")
    session.install(CORE, *map(_spec, packages))
    session.run(
        "pytest",
        "--pyargs",
        "trtrnn.conformance",
        "--trtrnn-backend",
        backend,
        "-p",
        "no:cacheprovider",
        *pytest_args,
    )


def _third_party(session: nox.Session, pytest_args: list[str]) -> None:
    """The correct fixture plugin passes the quick suite; the wrong one (swapped gates) fails as
    designed: exit code 1 with failed evaluated tiers whose messages are the readable diff."""
    session.install(CORE, "packages/rnn-loop", *FIXTURE_PLUGINS)
    suite = ["pytest", "--pyargs", "trtrnn.conformance", "--trtrnn-quick", "-p", "no:cacheprovider"]
    reports = Path(session.create_tmp()) / "reports"
    session.run(*suite, "--trtrnn-backend", "example", f"--trtrnn-report-dir={reports}", *pytest_args)
    session.run(
        *suite, "--trtrnn-backend", "wrong", f"--trtrnn-report-dir={reports}", "-q", *pytest_args,
        success_codes=[1],
    )  # fmt: skip
    report = json.loads((reports / "conformance-wrong.json").read_text())
    failed = [c for c in report["cases"] if c["tiers"]["evaluated"]["status"] == "fail"]
    if not failed or not all("first mismatch at index" in c["tiers"]["evaluated"]["detail"] for c in failed):
        session.error("the wrong fixture plugin did not fail with readable diffs: see its report above")
    session.log(f"the wrong fixture plugin failed as designed: {len(failed)} cases with readable diffs")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: each prints ratios against a baseline measured in the same run."""
    packages = [p for p in dict.fromkeys(p for pkgs in BACKENDS.values() for p in pkgs) if _implemented(p)]
    session.install(CORE, *map(_spec, packages))
    scripts = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    if not scripts:
        session.error("no benchmarks/bench_*.py found")
    for script in scripts:
        session.run("python", str(script), *session.posargs)
