"""Read the Python names a TensorRT bindings wheel offers, without installing or importing it.

The bindings are a pybind11 extension (`tensorrt.so`): every class, method, property and enum member
it registers is a NUL-terminated string literal in the ELF `.rodata` section (the name passed to
`py::class_`, `.def`, `.def_property`, `.value`). So the identifier-like strings of `.rodata` are a
superset of the module's names (`offers`: an entry ends with the name, see `so_names` for why):
a name absent from them is certainly absent from that TensorRT (the
direction the audit needs), while a present one may also be some other string that happens to look
like an identifier. Python-level helpers come from the wheel's `__init__.py` (top-level defs/assigns).

    python tools/trt_names.py WHEEL|PACKAGE_DIR [-o names.txt]   # one name a line, sorted, with a header

The lists under tests/trt_names/ were made this way from `pip download --no-deps` wheels.
"""

from __future__ import annotations

import argparse
import ast
import re
import struct
import sys
import zipfile
from pathlib import Path

TRAILING_IDENTIFIER = re.compile(rb"[A-Za-z0-9_]+$")


def elf_section(data: bytes, wanted: str) -> bytes:
    """The bytes of section `wanted` of a 64-bit little-endian ELF file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def header(i: int) -> tuple[int, int, int]:
        name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
        return name, offset, size

    _, str_off, str_size = header(shstrndx)
    names = data[str_off : str_off + str_size]
    for i in range(shnum):
        name, offset, size = header(i)
        if names[name : names.index(b"\0", name)].decode() == wanted:
            return data[offset : offset + size]
    raise ValueError(f"no section {wanted!r}")


def so_names(data: bytes) -> set[str]:
    """The trailing identifier of every NUL-terminated string of `.rodata` (mangled symbols left out).

    Trailing, because the linker merges a string literal into the tail of a longer one ("INT8" is
    stored as the end of "UINT8"): a registered name is always a suffix of one of these entries.
    """
    found = set()
    for chunk in elf_section(data, ".rodata").split(b"\0"):
        match = TRAILING_IDENTIFIER.search(chunk)
        if match and not match.group().startswith(b"_Z") and len(match.group()) <= 80:
            found.add(match.group().decode())
    return found


def offers(names: set[str] | frozenset[str], name: str) -> bool:
    """Whether a name list (from `wheel_names`) may hold `name`: some entry ends with it."""
    return any(entry.endswith(name) for entry in names)


def init_names(source: str) -> set[str]:
    """Top-level functions, classes and assigned names of the package's `__init__.py`."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def wheel_names(wheel: Path) -> tuple[str, set[str]]:
    """(distribution and version, names) of a bindings wheel, or of an installed bindings package
    directory (e.g. site-packages/tensorrt_rtx_bindings: its files are read, not imported)."""
    if wheel.is_dir():
        (so,) = wheel.glob("*.so")
        names = so_names(so.read_bytes()) | init_names((wheel / "__init__.py").read_text())
        return wheel.name, names
    with zipfile.ZipFile(wheel) as zf:
        so = [n for n in zf.namelist() if n.endswith(".so") and "/" in n and n.count("/") == 1]
        init = [n for n in zf.namelist() if n.endswith("/__init__.py") and n.count("/") == 1]
        if len(so) != 1:
            raise ValueError(f"{wheel}: expected one top-level extension module; found {so}")
        names = so_names(zf.read(so[0]))
        for path in init:
            names |= init_names(zf.read(path).decode())
    dist, version = wheel.name.split("-")[:2]
    return f"{dist} {version}", names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    what, names = wheel_names(args.wheel)
    text = f"# {what}: names read from its wheel by tools/trt_names.py (not imported)\n"
    text += "".join(f"{n}\n" for n in sorted(names))
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
