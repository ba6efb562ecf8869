"""Save and load an `RNNSpec` (and optionally its input x) as `.npz` or `.json`.

Both formats hold the same named arrays: `W/<layer>/<GATE>/<is_w>` for weights, `B/<layer>/<GATE>/<is_w>`
for biases (is_w 1 = input part W/Wb, 0 = recurrent R/Rb, as in TensorRT's `(0, INPUT, 1)`),
`seq_lengths`, `hidden_state`, `cell_state`, `x`, plus the scalar configuration. The extensions of
docs/semantics.md §2.1-2.4: `P/<layer>/<GATE>` peepholes, `Whr/<layer>` projections, and the
configuration fields linear_before_reset, input_forget, clip, reverse, proj_size and activations
(`{"<layer>": [[name, alpha, beta], ...]}`), each optional (absent: TensorRT's default). `.npz` suits
any size; `.json` (nested lists) is for small specs a person writes or reads. Writes are atomic.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from trtrnn.enums import RNNGateType
from trtrnn.errors import ShapeError, SpecError
from trtrnn.files import atomic_write
from trtrnn.spec import RNNSpec, WeightKey

FORMAT = "trtrnn-spec"
VERSION = 1
#: Optional arrays stored under their own names, with the dtype they are stored in.
OPTIONAL = {"seq_lengths": np.int32, "hidden_state": np.float32, "cell_state": np.float32, "x": np.float32}
SUFFIXES = (".npz", ".json")


def array_name(prefix: str, key: WeightKey) -> str:
    """`W/0/FORGET/1` for weights[(0, FORGET, True)]; prefix `B` for biases."""
    layer, gate, is_w = key
    return f"{prefix}/{layer}/{RNNGateType(gate).name}/{int(is_w)}"


def spec_to_arrays(
    spec: RNNSpec, x: np.ndarray | None = None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(configuration, named arrays): what both file formats store."""
    config = {
        "format": FORMAT,
        "version": VERSION,
        "op": spec.op.name,
        "hidden_size": int(spec.hidden_size),
        "max_seq_length": int(spec.max_seq_length),
        "data_length": int(spec.data_length),
        "num_layers": int(spec.num_layers),
        "input_mode": spec.input_mode.name,
        "direction": spec.direction.name,
        "batch_shape": list(spec.batch_shape),
    }
    extensions = {
        "linear_before_reset": bool(spec.linear_before_reset),
        "input_forget": bool(spec.input_forget),
        "clip": spec.clip,
        "reverse": bool(spec.reverse),
        "proj_size": int(spec.proj_size),
        "activations": {str(k): [[a.name, a.alpha, a.beta] for a in v] for k, v in spec.activations.items()},
    }
    defaults = {"linear_before_reset": True, "input_forget": False, "clip": None, "reverse": False}
    config.update(
        {k: v for k, v in extensions.items() if v != defaults.get(k, 0) and v != {}}  # only what is set
    )
    arrays = {array_name("W", k): np.asarray(v, np.float32) for k, v in spec.weights.items()}
    arrays.update(
        {
            f"P/{layer}/{RNNGateType(gate).name}": np.asarray(v, np.float32)
            for (layer, gate), v in spec.peepholes.items()
        }
    )
    arrays.update({f"Whr/{layer}": np.asarray(v, np.float32) for layer, v in spec.projections.items()})
    arrays.update({array_name("B", k): np.asarray(v, np.float32) for k, v in spec.biases.items()})
    values = {
        "seq_lengths": spec.seq_lengths,
        "hidden_state": spec.hidden_state,
        "cell_state": spec.cell_state,
    }
    values["x"] = x
    for name, dtype in OPTIONAL.items():
        if values[name] is not None:
            arrays[name] = np.asarray(values[name], dtype=dtype)
    return config, arrays


def spec_from_arrays(
    config: dict[str, Any], arrays: dict[str, np.ndarray], source: str = "spec"
) -> tuple[RNNSpec, np.ndarray | None]:
    """Rebuild (spec, x) from what `spec_to_arrays` produced; SpecError naming `source` and the key."""
    if config.get("format") != FORMAT:
        raise SpecError(
            f"{source}: format {config.get('format')!r}; expected {FORMAT!r} (written by trtrnn.specfile)"
        )
    if config.get("version") != VERSION:
        raise SpecError(f"{source}: version {config.get('version')!r}; this trtrnn reads version {VERSION}")
    fields = ("op", "hidden_size", "max_seq_length", "data_length", "num_layers", "input_mode", "direction")
    missing = [f for f in fields if f not in config]
    if missing:
        raise SpecError(f"{source}: missing configuration field(s) {missing}")
    weights: dict[WeightKey, np.ndarray] = {}
    biases: dict[WeightKey, np.ndarray] = {}
    optional: dict[str, np.ndarray | None] = dict.fromkeys(OPTIONAL)
    peepholes: dict[tuple[int, RNNGateType], np.ndarray] = {}
    projections: dict[int, np.ndarray] = {}
    for name, value in arrays.items():
        if name in OPTIONAL:
            optional[name] = np.asarray(value, dtype=OPTIONAL[name])
            continue
        parts = name.split("/")
        if parts[0] == "P" and len(parts) == 3 and parts[1].isdigit() and parts[2] in RNNGateType.__members__:
            peepholes[(int(parts[1]), RNNGateType[parts[2]])] = np.asarray(value, dtype=np.float32)
            continue
        if parts[0] == "Whr" and len(parts) == 2 and parts[1].isdigit():
            projections[int(parts[1])] = np.asarray(value, dtype=np.float32)
            continue
        if (
            len(parts) != 4
            or parts[0] not in ("W", "B")
            or parts[3] not in ("0", "1")
            or not parts[1].isdigit()
        ):
            raise SpecError(
                f"{source}: array {name!r} is not W|B/<layer>/<GATE>/<0|1>, P/<layer>/<GATE>, Whr/<layer> "
                f"nor one of {sorted(OPTIONAL)}"
            )
        if parts[2] not in RNNGateType.__members__:
            raise SpecError(
                f"{source}: array {name!r}: gate {parts[2]!r} is not one of {list(RNNGateType.__members__)}"
            )
        key = (int(parts[1]), RNNGateType[parts[2]], parts[3] == "1")
        (weights if parts[0] == "W" else biases)[key] = np.asarray(value, dtype=np.float32)
    try:
        spec = RNNSpec(
            op=config["op"],
            hidden_size=int(config["hidden_size"]),
            max_seq_length=int(config["max_seq_length"]),
            data_length=int(config["data_length"]),
            num_layers=int(config["num_layers"]),
            input_mode=config["input_mode"],
            direction=config["direction"],
            weights=weights,
            biases=biases,
            batch_shape=tuple(config.get("batch_shape", ())),
            seq_lengths=optional["seq_lengths"],
            hidden_state=optional["hidden_state"],
            cell_state=optional["cell_state"],
            linear_before_reset=config.get("linear_before_reset", True),
            input_forget=config.get("input_forget", False),
            clip=config.get("clip"),
            reverse=config.get("reverse", False),
            proj_size=config.get("proj_size", 0),
            activations={int(k): [tuple(a) for a in v] for k, v in config.get("activations", {}).items()},
            peepholes=peepholes,
            projections=projections,
        ).validate()
    except SpecError as exc:
        raise type(exc)(f"{source}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{source}: bad configuration value ({exc})") from None
    x = optional["x"]
    if x is not None and x.shape != spec.input_shape:
        raise ShapeError(
            f"{source}: x has shape {x.shape}; expected {spec.input_shape} = (*batch_shape, T, E)"
        )
    return spec, x


def save_spec(path: str | os.PathLike[str], spec: RNNSpec, x: np.ndarray | None = None) -> Path:
    """Write `spec` (validated) and optional x to `.npz` or `.json`, atomically."""
    path = Path(path)
    spec.validate()
    if x is not None and np.shape(x) != spec.input_shape:
        raise ShapeError(f"x: shape {np.shape(x)}; expected {spec.input_shape} = (*batch_shape, T, E)")
    config, arrays = spec_to_arrays(spec, x)
    suffix = _suffix(path)
    if suffix == ".npz":
        buffer = io.BytesIO()
        np.savez(buffer, __config__=np.array(json.dumps(config)), **arrays)
        data = buffer.getvalue()
    else:
        data = _json_text(config, arrays).encode()
    atomic_write(path, data)
    return path


def load_spec(path: str | os.PathLike[str]) -> tuple[RNNSpec, np.ndarray | None]:
    """Read (spec, x or None) from a file written by `save_spec`."""
    path = Path(path)
    suffix = _suffix(path)
    source = str(path)
    if not path.is_file():
        raise SpecError(f"{source}: no such file")
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise SpecError(f"{source}: not a readable .npz file ({exc})") from None
        if "__config__" not in arrays:
            raise SpecError(
                f"{source}: has no __config__ entry, so it was not written by trtrnn.specfile "
                f"(its arrays: {sorted(arrays)[:6]})"
            )
        try:
            config = json.loads(str(arrays.pop("__config__")))
        except ValueError as exc:
            raise SpecError(f"{source}: __config__ is not JSON ({exc})") from None
    else:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise SpecError(f"{source}: not valid JSON ({exc})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("arrays", {}), dict):
            raise SpecError(f"{source}: expected a JSON object with an 'arrays' object")
        arrays = {}
        for name, value in doc.pop("arrays", {}).items():
            try:
                arrays[name] = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise SpecError(f"{source}: array {name!r} is not a rectangular list of numbers") from None
        config = doc
    if not isinstance(config, dict):
        raise SpecError(f"{source}: configuration must be a JSON object")
    return spec_from_arrays(config, arrays, source)


def _json_text(config: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """One line per configuration field and per array (nested lists), so a person can read it."""
    fields = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in config.items()]
    rows = [f"    {json.dumps(name)}: {json.dumps(value.tolist())}" for name, value in arrays.items()]
    arrays_text = '  "arrays": {\n' + ",\n".join(rows) + "\n  }"
    return "{\n" + ",\n".join([*fields, arrays_text]) + "\n}\n"


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SpecError(f"{path}: suffix {suffix or '(none)'!r}; expected one of {', '.join(SUFFIXES)}")
    return suffix
