"""`RNNSpec`: the semantics of SEMANTICS.md §1-5 (and docs/semantics.md §2.1-2.4) as data, every rule
validated in one place.

Backends, the reference and the conformance suite all read shapes, gates and required keys from
here instead of restating them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from trtrnn.activations import Activation, default_activations
from trtrnn.enums import GATES, RNNDirection, RNNGateType, RNNInputMode, RNNOperation, coerce
from trtrnn.errors import GateError, MissingWeightsError, ShapeError, SpecError

#: (layer index, gate, is_w): is_w True names the input (W / Wb) part, False the recurrent (R / Rb).
WeightKey = tuple[int, RNNGateType, bool]
#: (layer index, gate) of an LSTM peephole vector: gate INPUT, OUTPUT or FORGET (ONNX's P order i, o, f).
PeepholeKey = tuple[int, RNNGateType]
#: The gates with a peephole, in ONNX's P order.
PEEPHOLE_GATES = (RNNGateType.INPUT, RNNGateType.OUTPUT, RNNGateType.FORGET)


def key_name(key: WeightKey) -> str:
    """TensorRT's spelling of a key, as in `Missing weights/bias: (0, INPUT, 1)`."""
    layer, gate, is_w = key
    return f"({layer}, {RNNGateType(gate).name}, {int(is_w)})"


class Feature(str, enum.Enum):
    """What a case needs from a backend's API; backends declare the ones they cannot express."""

    RELU = "op RELU"
    TANH = "op TANH"
    LSTM = "op LSTM"
    GRU = "op GRU"
    STACKED = "stacked layers"
    BIDIRECTIONAL = "bidirectional"
    SKIP_INPUT = "SKIP input mode"
    SEQ_LENGTHS = "seq_lengths"
    HIDDEN_STATE = "initial hidden_state"
    CELL_STATE = "initial cell_state"
    STATE_INPUTS = "states/lengths as network inputs"
    NO_LEADING_DIMS = "no leading dims"
    MULTI_LEADING_DIMS = "two or more leading dims"
    DYNAMIC_BATCH = "dynamic batch (-1 leading dim)"
    GRU_LBR0 = "GRU linear_before_reset=0"
    PEEPHOLES = "LSTM peepholes"
    INPUT_FORGET = "LSTM input_forget"
    CLIP = "clip"
    ACTIVATIONS = "non-default activations"
    REVERSE = "direction reverse"
    ZERO_LENGTHS = "sequence length 0"
    PROJECTION = "LSTM projection (proj_size)"


#: The features beyond TensorRT's IRNNv2Layer (docs/semantics.md §2.1-2.4): what the ONNX and PyTorch
#: operators add. Backends bound to TensorRT 7/8's APIs declare them unsupported.
EXTENDED_FEATURES = (
    Feature.GRU_LBR0,
    Feature.PEEPHOLES,
    Feature.INPUT_FORGET,
    Feature.CLIP,
    Feature.ACTIVATIONS,
    Feature.REVERSE,
    Feature.ZERO_LENGTHS,
    Feature.PROJECTION,
)


@dataclass
class RNNSpec:
    """One RNN problem: configuration, weights, optional lengths and initial states.

    `weights[(l, gate, True)]` is W (input), `weights[(l, gate, False)]` is R (recurrent); `biases`
    likewise holds Wb and Rb. `batch_shape` is the leading dims B... of the `[B..., T, E]` input.

    The fields after `cell_state` extend TensorRT's semantics to ONNX's and PyTorch's (docs/semantics.md
    §2.1-2.4); their defaults are TensorRT's RNN exactly:
    - `linear_before_reset` (GRU): True applies the reset gate after the recurrent matmul (TensorRT,
      cuDNN, PyTorch), False before it (ONNX's default, Keras).
    - `peepholes[(l, gate)]` (LSTM): `[H]` vectors for gates INPUT, OUTPUT, FORGET; all or none.
    - `input_forget` (LSTM): f = 1 - i.
    - `clip`: gate pre-activations are clipped to [-clip, clip] (never the cell state).
    - `activations[l]`: the functions of layer index l (RNN f; GRU f, g; LSTM f, g, h), from ONNX's list;
      a layer index not in the dict uses the op's default.
    - `reverse`: the single direction of a UNIDIRECTION spec runs backward in time (ONNX "reverse").
    - `proj_size` / `projections[l]` (LSTM): h = W_hr . (o * h(c)) with W_hr `[P, H]`; the hidden
      state and output 0 have width P, the cell state width H.
    """

    op: RNNOperation
    hidden_size: int
    max_seq_length: int
    data_length: int
    num_layers: int = 1
    input_mode: RNNInputMode = RNNInputMode.LINEAR
    direction: RNNDirection = RNNDirection.UNIDIRECTION
    weights: dict[WeightKey, np.ndarray] = field(default_factory=dict)
    biases: dict[WeightKey, np.ndarray] = field(default_factory=dict)
    batch_shape: tuple[int, ...] = ()
    seq_lengths: np.ndarray | None = None
    hidden_state: np.ndarray | None = None
    cell_state: np.ndarray | None = None
    linear_before_reset: bool = True
    peepholes: dict[PeepholeKey, np.ndarray] = field(default_factory=dict)
    input_forget: bool = False
    clip: float | None = None
    activations: dict[int, tuple[Activation, ...]] = field(default_factory=dict)
    reverse: bool = False
    proj_size: int = 0
    projections: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.op = coerce(RNNOperation, self.op, "op")
        self.input_mode = coerce(RNNInputMode, self.input_mode, "input_mode")
        self.direction = coerce(RNNDirection, self.direction, "direction")
        self.batch_shape = tuple(int(d) for d in self.batch_shape)
        self.weights = {_norm_key(k, "weights"): np.asarray(v) for k, v in self.weights.items()}
        self.biases = {_norm_key(k, "biases"): np.asarray(v) for k, v in self.biases.items()}
        if isinstance(self.clip, (int, float, np.floating, np.integer)) and not isinstance(self.clip, bool):
            self.clip = float(np.float32(self.clip))  # ONNX's attribute is a float32: keep round trips exact
        self.peepholes = {_norm_peephole_key(k): np.asarray(v) for k, v in self.peepholes.items()}
        self.projections = {_int_key(k, "projections"): np.asarray(v) for k, v in self.projections.items()}
        self.activations = {
            _int_key(k, "activations"): tuple(
                Activation.of(a, f"activations[{k}][{i}]") for i, a in enumerate(_as_sequence(v, k))
            )
            for k, v in self.activations.items()
        }

    # ---- derived facts (the single source of every shape) -------------------------------------
    @property
    def num_directions(self) -> int:
        """K: 1 for UNIDIRECTION, 2 for BIDIRECTION."""
        return 2 if self.direction == RNNDirection.BIDIRECTION else 1

    @property
    def num_layer_indices(self) -> int:
        """L' = num_layers * K: the layer indices weights and states are keyed by."""
        return self.num_layers * self.num_directions

    @property
    def gates(self) -> tuple[RNNGateType, ...]:
        """The op's gates in SEMANTICS.md §2 order."""
        return GATES[self.op]

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (*self.batch_shape, self.max_seq_length, self.data_length)

    @property
    def output_size(self) -> int:
        """Width of h (output 0 per direction, the hidden state, R's columns): proj_size P if set, else H."""
        return self.proj_size or self.hidden_size

    @property
    def state_shape(self) -> tuple[int, ...]:
        """Shape of the hidden state `[B..., L', H]` (`[B..., L', P]` with a projection)."""
        return (*self.batch_shape, self.num_layer_indices, self.output_size)

    @property
    def cell_shape(self) -> tuple[int, ...]:
        """Shape of the LSTM cell state `[B..., L', H]` (H even with a projection)."""
        return (*self.batch_shape, self.num_layer_indices, self.hidden_size)

    @property
    def output_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Shapes of output 0, 1 and (LSTM only) 2 in the add_rnn_v2 contract (§4)."""
        out0 = (*self.batch_shape, self.max_seq_length, self.num_directions * self.output_size)
        n = 3 if self.op == RNNOperation.LSTM else 2
        return (out0, self.state_shape, self.cell_shape)[:n]

    def layer_input_size(self, layer_index: int) -> int:
        """Width of what layer index `l` consumes: E for stack layer 0, K*H (K*P) above it."""
        return (
            self.data_length
            if layer_index // self.num_directions == 0
            else (self.num_directions * self.output_size)
        )

    def activation_functions(self, layer_index: int) -> tuple[Activation, ...]:
        """The resolved activations of a layer index: its `activations` entry, else the op's default."""
        return self.activations.get(layer_index) or default_activations(self.op)

    def has_custom_activations(self) -> bool:
        """True when some layer index's activations differ from the op's default."""
        default = default_activations(self.op)
        return any(tuple(acts) != default for acts in self.activations.values())

    def weight_shape(self, layer_index: int, is_w: bool) -> tuple[int, ...] | None:
        """Shape of W (is_w) or R for a layer index; None where SKIP means there is no W."""
        if not is_w:
            return (self.hidden_size, self.output_size)
        if self.has_input_weights(layer_index):
            return (self.hidden_size, self.layer_input_size(layer_index))
        return None

    def has_input_weights(self, layer_index: int) -> bool:
        """False only for stack layer 0 in SKIP mode, where x is added as is."""
        return not (self.input_mode == RNNInputMode.SKIP and layer_index // self.num_directions == 0)

    def weight_keys(self) -> Iterator[WeightKey]:
        """Every required weight key, in layer-index, gate, W-then-R order."""
        for layer in range(self.num_layer_indices):
            for gate in self.gates:
                if self.has_input_weights(layer):
                    yield (layer, gate, True)
                yield (layer, gate, False)

    def bias_keys(self) -> Iterator[WeightKey]:
        """Every required bias key: Wb and Rb for every layer index and gate (SKIP keeps Wb)."""
        for layer in range(self.num_layer_indices):
            for gate in self.gates:
                yield (layer, gate, True)
                yield (layer, gate, False)

    def features(self, *, as_inputs: bool = False, dynamic_batch: bool = False) -> frozenset[Feature]:
        """The features this spec needs; with build options (`build_spec_network`'s `as_inputs`,
        `dynamic_batch`) also those they add: STATE_INPUTS when lengths or states are fed as network
        inputs (a dynamic batch feeds them so too), DYNAMIC_BATCH."""
        need = {Feature[self.op.name]}
        fed = (self.seq_lengths, self.hidden_state, self.cell_state)
        if (as_inputs or dynamic_batch) and any(v is not None for v in fed):
            need.add(Feature.STATE_INPUTS)
        if dynamic_batch:
            need.add(Feature.DYNAMIC_BATCH)
        if self.num_layers > 1:
            need.add(Feature.STACKED)
        if self.direction == RNNDirection.BIDIRECTION:
            need.add(Feature.BIDIRECTIONAL)
        if self.input_mode == RNNInputMode.SKIP:
            need.add(Feature.SKIP_INPUT)
        if self.seq_lengths is not None:
            need.add(Feature.SEQ_LENGTHS)
        if self.hidden_state is not None:
            need.add(Feature.HIDDEN_STATE)
        if self.cell_state is not None:
            need.add(Feature.CELL_STATE)
        if len(self.batch_shape) == 0:
            need.add(Feature.NO_LEADING_DIMS)
        if len(self.batch_shape) >= 2:
            need.add(Feature.MULTI_LEADING_DIMS)
        extended = {
            Feature.GRU_LBR0: self.op == RNNOperation.GRU and not self.linear_before_reset,
            Feature.PEEPHOLES: bool(self.peepholes),
            Feature.INPUT_FORGET: self.input_forget,
            Feature.CLIP: self.clip is not None,
            Feature.ACTIVATIONS: self.has_custom_activations(),
            Feature.REVERSE: self.reverse,
            Feature.ZERO_LENGTHS: self.seq_lengths is not None and np.any(np.asarray(self.seq_lengths) == 0),
            Feature.PROJECTION: self.proj_size > 0,
        }
        need.update(f for f, used in extended.items() if used)
        return frozenset(need)

    def replace(self, **changes: object) -> RNNSpec:
        """A copy with some fields changed (weights dicts are copied, arrays shared)."""
        base = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        base["weights"] = dict(self.weights)
        base["biases"] = dict(self.biases)
        base["peepholes"] = dict(self.peepholes)
        base["activations"] = dict(self.activations)
        base["projections"] = dict(self.projections)
        base.update(changes)
        return RNNSpec(**base)

    # ---- validation ---------------------------------------------------------------------------
    def validate(self) -> RNNSpec:
        """Check every rule of SEMANTICS.md §1-5; return self so calls chain."""
        for name in ("num_layers", "hidden_size", "max_seq_length", "data_length"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise SpecError(f"{name}: must be a positive integer; got {value!r}")
        if any(d < 1 for d in self.batch_shape):
            raise ShapeError(f"batch_shape: every leading dim must be >= 1; got {self.batch_shape}")
        self._validate_proj_size()
        if self.input_mode == RNNInputMode.SKIP and self.data_length != self.hidden_size:
            raise SpecError(
                "input_mode: SKIP adds x to the gates as is, so data_length must equal hidden_size; "
                f"got data_length={self.data_length}, hidden_size={self.hidden_size}"
            )
        self._validate_params("weights", self.weights, self.weight_keys(), self._matrix_shape)
        self._validate_params("biases", self.biases, self.bias_keys(), lambda _: (self.hidden_size,))
        self._validate_seq_lengths()
        self._validate_state("hidden_state", self.hidden_state, self.state_shape)
        if self.cell_state is not None and self.op != RNNOperation.LSTM:
            raise SpecError(f"cell_state: only LSTM has a cell state; op is {self.op.name}")
        self._validate_state("cell_state", self.cell_state, self.cell_shape)
        self._validate_extensions()
        return self

    def _validate_extensions(self) -> None:
        """The ONNX / PyTorch extensions (docs/semantics.md §2.1-2.4)."""
        lstm, op = self.op == RNNOperation.LSTM, self.op.name
        if not isinstance(self.linear_before_reset, (bool, np.bool_)):
            raise SpecError(f"linear_before_reset: must be a bool; got {self.linear_before_reset!r}")
        if not self.linear_before_reset and self.op != RNNOperation.GRU:
            raise SpecError(f"linear_before_reset: False is a GRU variant; op is {op}")
        if not isinstance(self.input_forget, (bool, np.bool_)):
            raise SpecError(f"input_forget: must be a bool; got {self.input_forget!r}")
        if self.input_forget and not lstm:
            raise SpecError(f"input_forget: couples LSTM's input and forget gates; op is {op}")
        if not isinstance(self.reverse, (bool, np.bool_)):
            raise SpecError(f"reverse: must be a bool; got {self.reverse!r}")
        if self.reverse and self.direction != RNNDirection.UNIDIRECTION:
            raise SpecError(
                "reverse: runs the single direction of a UNIDIRECTION spec backward; direction is "
                f"{self.direction.name} (a bidirectional spec already has a backward direction)"
            )
        if self.clip is not None:
            clip = self.clip
            if isinstance(clip, bool) or not isinstance(clip, (int, float, np.floating, np.integer)):
                raise SpecError(f"clip: must be a positive number or None; got {clip!r}")
            if not (np.isfinite(clip) and clip > 0):
                raise SpecError(f"clip: the threshold must be positive and finite; got {clip!r}")
        want = len(default_activations(self.op))
        for layer, acts in self.activations.items():
            self._check_layer("activations", layer)
            if len(acts) != want:
                raise SpecError(
                    f"activations[{layer}]: {op} takes {want} function(s) per layer index "
                    f"({'f' if want == 1 else 'f, g' if want == 2 else 'f, g, h'}); got {len(acts)}: "
                    f"{[str(a) for a in acts]}"
                )
        self._validate_peepholes()
        self._validate_projection()

    def _check_layer(self, what: str, layer: int) -> None:
        if not 0 <= layer < self.num_layer_indices:
            raise SpecError(
                f"{what}[{layer}]: layer index must be in [0, {self.num_layer_indices}) "
                f"(num_layers={self.num_layers} x {self.num_directions} directions); got {layer}"
            )

    def _check_vector(self, what: str, value: np.ndarray, shape: tuple[int, ...], rule: str) -> None:
        if value.shape != shape:
            raise ShapeError(f"{what}: shape {value.shape}; expected {shape} ({rule})")
        if not np.issubdtype(value.dtype, np.floating):
            raise ShapeError(f"{what}: dtype {value.dtype}; expected floating point")
        if not np.all(np.isfinite(value)):
            raise SpecError(f"{what}: must be finite; contains NaN or inf")

    def _validate_peepholes(self) -> None:
        if not self.peepholes:
            return
        if self.op != RNNOperation.LSTM:
            raise SpecError(f"peepholes: only LSTM has peepholes; op is {self.op.name}")
        for (layer, gate), value in self.peepholes.items():
            self._check_layer("peepholes", layer)
            if gate not in PEEPHOLE_GATES:
                raise GateError(
                    f"peepholes[({layer}, {gate.name})]: LSTM peepholes exist for gates INPUT, OUTPUT and "
                    f"FORGET (ONNX's P order i, o, f); got {gate.name}"
                )
            self._check_vector(
                f"peepholes[({layer}, {gate.name})]", value, (self.hidden_size,), "(hidden_size,)"
            )
        missing = [
            f"({layer}, {gate.name})"
            for layer in range(self.num_layer_indices)
            for gate in PEEPHOLE_GATES
            if (layer, gate) not in self.peepholes
        ]
        if missing:
            raise MissingWeightsError(
                f"Missing peepholes (layer, gate): {', '.join(missing[:6])}"
                f"{f' and {len(missing) - 6} more' if len(missing) > 6 else ''}; peepholes are all or none: "
                "every layer index needs INPUT, OUTPUT and FORGET (zeros where a layer has none)"
            )

    def _validate_proj_size(self) -> None:
        """Before the weights: the projection decides R's and the upper layers' W's widths."""
        p, h = self.proj_size, self.hidden_size
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0:
            raise SpecError(f"proj_size: must be a non-negative integer (0 = no projection); got {p!r}")
        if p == 0 and self.projections:
            raise SpecError(
                f"projections: given for layer indices {sorted(self.projections)} but proj_size is 0"
            )
        if p and self.op != RNNOperation.LSTM:
            raise SpecError(f"proj_size: only LSTM has a projection (PyTorch's LSTMP); op is {self.op.name}")
        if p >= h:
            raise SpecError(f"proj_size: must be smaller than hidden_size={h} (as PyTorch requires); got {p}")

    def _validate_projection(self) -> None:
        p, h = self.proj_size, self.hidden_size
        if p == 0:
            return
        for layer, value in self.projections.items():
            self._check_layer("projections", layer)
            self._check_vector(f"projections[{layer}]", value, (p, h), "(proj_size, hidden_size) = W_hr")
        missing = [layer for layer in range(self.num_layer_indices) if layer not in self.projections]
        if missing:
            raise MissingWeightsError(
                f"Missing projections for layer indices {missing}; proj_size={p} needs W_hr "
                f"(proj_size, hidden_size) = ({p}, {h}) for every layer index"
            )

    def _matrix_shape(self, key: WeightKey) -> tuple[int, ...] | None:
        return self.weight_shape(key[0], key[2])

    def _validate_params(
        self,
        what: str,
        params: Mapping[WeightKey, object],
        required: Iterable[WeightKey],
        shape_of: Callable[[WeightKey], tuple[int, ...] | None],
    ) -> None:
        required = list(required)
        for key, value in params.items():
            layer, gate, _ = key
            if not 0 <= layer < self.num_layer_indices:
                raise SpecError(
                    f"{what}{key_name(key)}: layer index must be in [0, {self.num_layer_indices}) "
                    f"(num_layers={self.num_layers} x {self.num_directions} directions); got {layer}"
                )
            if gate not in self.gates:
                raise GateError(
                    f"{what}{key_name(key)}: gate {gate.name} does not belong to {self.op.name}; "
                    f"valid gates: {', '.join(g.name for g in self.gates)}"
                )
            expected = shape_of(key)
            if expected is None:
                raise SpecError(
                    f"{what}{key_name(key)}: SKIP input mode has no input weights for stack layer 0 "
                    "(x is added as is); remove them or use LINEAR"
                )
            if value.shape != expected:
                raise ShapeError(
                    f"{what}{key_name(key)}: shape {value.shape}; expected {expected} "
                    f"({_shape_rule(self, key, what)})"
                )
            if not np.issubdtype(value.dtype, np.floating):
                raise ShapeError(f"{what}{key_name(key)}: dtype {value.dtype}; expected floating point")
            if not np.all(np.isfinite(value)):
                raise SpecError(f"{what}{key_name(key)}: must be finite; contains NaN or inf")
        missing = [k for k in required if k not in params]
        if missing:
            names = ", ".join(key_name(k) for k in missing[:6])
            more = f" and {len(missing) - 6} more" if len(missing) > 6 else ""
            raise MissingWeightsError(
                f"Missing {what} (layer, gate, is_w): {names}{more}; {self.op.name} with "
                f"{self.num_layer_indices} layer indices needs W, R, Wb and Rb for gates "
                f"{', '.join(g.name for g in self.gates)}"
            )

    def _validate_seq_lengths(self) -> None:
        lengths = self.seq_lengths
        if lengths is None:
            return
        lengths = np.asarray(lengths)
        if not np.issubdtype(lengths.dtype, np.integer):
            raise ShapeError(f"seq_lengths: dtype {lengths.dtype}; expected int32")
        if lengths.shape != self.batch_shape:
            raise ShapeError(
                f"seq_lengths: shape {lengths.shape}; expected {self.batch_shape} (the leading dims B...)"
            )
        if lengths.size and (lengths.min() < 0 or lengths.max() > self.max_seq_length):
            raise SpecError(
                f"seq_lengths: every length must be in [0, max_seq_length={self.max_seq_length}] "
                f"(0: an empty sequence, all-zero results); got min {lengths.min()}, max {lengths.max()}"
            )

    def _validate_state(self, name: str, state: np.ndarray | None, shape: tuple[int, ...]) -> None:
        if state is None:
            return
        state = np.asarray(state)
        if state.shape != shape:
            width = (
                f"proj_size={self.proj_size}"
                if name == "hidden_state" and self.proj_size
                else f"hidden_size={self.hidden_size}"
            )
            raise ShapeError(
                f"{name}: shape {state.shape}; expected {shape} = (*batch_shape, "
                f"num_layers*directions={self.num_layer_indices}, {width})"
            )
        if not np.issubdtype(state.dtype, np.floating):
            raise ShapeError(f"{name}: dtype {state.dtype}; expected floating point")

    # ---- random problems for tests ------------------------------------------------------------
    @classmethod
    def random(
        cls,
        seed: int | np.random.Generator,
        *,
        op: RNNOperation | str = RNNOperation.LSTM,
        hidden_size: int = 4,
        max_seq_length: int = 3,
        data_length: int | None = None,
        num_layers: int = 1,
        direction: RNNDirection | str = RNNDirection.UNIDIRECTION,
        input_mode: RNNInputMode | str = RNNInputMode.LINEAR,
        batch_shape: tuple[int, ...] = (2,),
        seq_lengths: str = "none",
        states: bool = False,
        scale: float | None = None,
        linear_before_reset: bool = True,
        peepholes: bool = False,
        input_forget: bool = False,
        clip: float | None = None,
        activations: Mapping[int, object] | None = None,
        reverse: bool = False,
        proj_size: int = 0,
    ) -> RNNSpec:
        """A valid spec with random weights (scale ~1/sqrt(H) unless given).

        `seq_lengths` is "none", "full" (all T), "ragged" (random in [1, T], with a 1 and a T
        wherever there are at least two sequences) or "zeros" (ragged, then the first length 0).
        `states` gives random initial h (and c for LSTM). `peepholes` draws P for every layer index;
        `proj_size` > 0 draws W_hr; the other extensions are copied into the spec. Extensions are drawn
        after everything else, so a spec without them is the same as before they existed.
        """
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        input_mode = coerce(RNNInputMode, input_mode, "input_mode")
        if data_length is None:
            data_length = hidden_size if input_mode == RNNInputMode.SKIP else hidden_size + 1
        spec = cls(
            op=op,
            hidden_size=hidden_size,
            max_seq_length=max_seq_length,
            data_length=data_length,
            num_layers=num_layers,
            input_mode=input_mode,
            direction=direction,
            batch_shape=tuple(batch_shape),
            linear_before_reset=linear_before_reset,
            input_forget=input_forget,
            clip=clip,
            activations=dict(activations or {}),
            reverse=reverse,
            proj_size=proj_size,
        )
        spec._validate_proj_size()  # the projection decides the weights' shapes drawn below
        s = scale if scale is not None else 1.0 / np.sqrt(hidden_size)

        def draw(shape: tuple[int, ...]) -> np.ndarray:
            return rng.uniform(-s, s, size=shape).astype(np.float32)

        for key in spec.weight_keys():
            spec.weights[key] = draw(spec.weight_shape(key[0], key[2]))
        for key in spec.bias_keys():
            spec.biases[key] = draw((hidden_size,))
        spec.seq_lengths = _random_lengths(rng, spec.batch_shape, max_seq_length, seq_lengths)
        if states:
            spec.hidden_state = draw(spec.state_shape)
            if spec.op == RNNOperation.LSTM:
                spec.cell_state = draw(spec.cell_shape)
        if peepholes:
            for layer in range(spec.num_layer_indices):
                for gate in PEEPHOLE_GATES:
                    spec.peepholes[(layer, gate)] = draw((hidden_size,))
        for layer in range(spec.num_layer_indices if proj_size else 0):
            spec.projections[layer] = draw((proj_size, hidden_size))
        return spec.validate()

    def random_input(self, seed: int | np.random.Generator, scale: float = 1.0) -> np.ndarray:
        """A float32 input of `input_shape`, uniform in [-scale, scale]."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return rng.uniform(-scale, scale, size=self.input_shape).astype(np.float32)


def _random_lengths(
    rng: np.random.Generator, batch_shape: tuple[int, ...], t: int, kind: str
) -> np.ndarray | None:
    if kind == "none":
        return None
    if kind == "full":
        return np.full(batch_shape, t, dtype=np.int32)
    if kind not in ("ragged", "zeros"):
        raise SpecError(f"seq_lengths: expected 'none', 'full', 'ragged' or 'zeros'; got {kind!r}")
    lengths = rng.integers(1, t + 1, size=batch_shape).astype(np.int32)
    flat = lengths.reshape(-1)
    if flat.size >= 2:
        flat[0], flat[-1] = 1, t
    elif flat.size == 1:
        flat[0] = 1
    if kind == "zeros" and flat.size:
        flat[0] = 0
    return lengths


def _norm_peephole_key(key: object) -> PeepholeKey:
    try:
        layer, gate = key  # type: ignore[misc]
    except (TypeError, ValueError):
        raise SpecError(f"peepholes: keys are (layer_index, gate) pairs; got {key!r}") from None
    return (_int_key(layer, "peepholes"), coerce(RNNGateType, gate, "peepholes key gate"))


def _int_key(key: object, field_name: str) -> int:
    if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
        raise SpecError(f"{field_name}: keys are layer indices (ints); got {key!r}")
    return int(key)


def _as_sequence(value: object, layer: object) -> tuple:
    if isinstance(value, (str, Activation)) or not isinstance(value, (tuple, list)):
        raise SpecError(
            f"activations[{layer}]: expected a sequence of functions (RNN f; GRU f, g; LSTM f, g, h); "
            f"got {value!r}"
        )
    return tuple(value)


def _norm_key(key: object, field_name: str) -> WeightKey:
    try:
        layer, gate, is_w = key  # type: ignore[misc]
    except (TypeError, ValueError):
        raise SpecError(f"{field_name}: keys are (layer_index, gate, is_w) tuples; got {key!r}") from None
    return (int(layer), coerce(RNNGateType, gate, f"{field_name} key gate"), bool(is_w))


def _shape_rule(spec: RNNSpec, key: WeightKey, what: str) -> str:
    layer, _, is_w = key
    if what == "biases":
        return "(hidden_size,)"
    width = "proj_size" if spec.proj_size else "hidden_size"
    if not is_w:
        return f"(hidden_size, {width}) for a recurrent matrix"
    if layer // spec.num_directions == 0:
        return "(hidden_size, data_length) for stack layer 0"
    return (
        f"(hidden_size, {spec.num_directions}*{width}) for stack layer {layer // spec.num_directions}, "
        "which consumes the layer below"
    )
