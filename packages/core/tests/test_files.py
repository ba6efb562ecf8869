"""Files trtrnn writes are atomic and get the permissions the umask gives, like any other tool's."""

from __future__ import annotations

import os
import stat

import pytest

from trtrnn.files import atomic_write


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_honour_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write(tmp_path / "a.engine", b"bytes")
        atomic_write(tmp_path / "a.json", "text")
    finally:
        os.umask(old)
    for name in ("a.engine", "a.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask
    assert (tmp_path / "a.json").read_text() == "text"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.engine", "a.json"]  # no temp file left
