"""The seed's add_rnn_v2 / add_rnn examples as data: spec, input and the tables NVIDIA's runs printed.

The seed is the TensorRT cookbook chapter `/work/shared/seed/000_b0ba62c7f7787c66.txt`; its printed
tables are golden data for every backend and for `trtrnn.reference`. Each table below is the printout
row by row (one list per printed line), reshaped to the printed shape; nothing here is computed by
trtrnn. Where the seed is wrong, SEMANTICS.md §9 says what the golden case is, and `notes` cites it.
Every example uses all-ones inputs, all-ones weights and zero biases, shape (nIn, cIn, hIn, wIn) =
(1, 3, 4, 7): two leading dims (1, 3), T = 4, E = 7 (5 for SKIP), H = 5.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from trtrnn.enums import RNNDirection, RNNInputMode, RNNOperation
from trtrnn.spec import RNNSpec


class SeedCase(NamedTuple):
    """One example: `expected` maps output names ("output", "hidden"[, "cell"]) to full tensors."""

    name: str
    title: str
    spec: RNNSpec
    x: np.ndarray
    expected: dict[str, np.ndarray]
    rtol: float = 1e-5
    notes: str = ""


#: The seed's dimensions: leading dims (nIn, cIn), T = hIn, E = wIn, H = lenH.
N_IN, C_IN, H_IN, W_IN, LEN_H = 1, 3, 4, 7, 5


def _table(shape: tuple[int, ...], rows: list[list[float]]) -> np.ndarray:
    """A printed table: its rows as printed, in the printed shape."""
    return np.asarray(rows, dtype=np.float32).reshape(shape)


def _spec(
    op: RNNOperation,
    *,
    num_layers: int = 1,
    direction: RNNDirection = RNNDirection.UNIDIRECTION,
    input_mode: RNNInputMode = RNNInputMode.LINEAR,
    data_length: int = W_IN,
    **inputs: np.ndarray,
) -> RNNSpec:
    """The seed's layer: every W and R all ones, every bias zero (what each example sets per gate)."""
    spec = RNNSpec(
        op=op,
        hidden_size=LEN_H,
        max_seq_length=H_IN,
        data_length=data_length,
        num_layers=num_layers,
        input_mode=input_mode,
        direction=direction,
        batch_shape=(N_IN, C_IN),
        **inputs,
    )
    for key in spec.weight_keys():
        spec.weights[key] = np.ones(spec.weight_shape(key[0], key[2]), dtype=np.float32)
    for key in spec.bias_keys():
        spec.biases[key] = np.zeros(LEN_H, dtype=np.float32)
    return spec.validate()


def _ones(*shape: int) -> np.ndarray:
    return np.ones(shape, dtype=np.float32)


def _zeros(*shape: int) -> np.ndarray:
    return np.zeros(shape, dtype=np.float32)


def _x(data_length: int = W_IN) -> np.ndarray:
    return _ones(N_IN, C_IN, H_IN, data_length)


def _initial() -> SeedCase:
    # fmt: off
    output = _table((1, 3, 4, 5), [
        [7.0, 7.0, 7.0, 7.0, 7.0],
        [42.0, 42.0, 42.0, 42.0, 42.0],
        [217.0, 217.0, 217.0, 217.0, 217.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [7.0, 7.0, 7.0, 7.0, 7.0],
        [42.0, 42.0, 42.0, 42.0, 42.0],
        [217.0, 217.0, 217.0, 217.0, 217.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [7.0, 7.0, 7.0, 7.0, 7.0],
        [42.0, 42.0, 42.0, 42.0, 42.0],
        [217.0, 217.0, 217.0, 217.0, 217.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
    ])
    hidden = _table((1, 3, 1, 5), [
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
    ])
    # fmt: on
    return SeedCase(
        "initial",
        "1-layer ReLU RNN (初始示例代码)",
        _spec(RNNOperation.RELU),
        _x(),
        {"output": output, "hidden": hidden},
    )


def _seq_lengths() -> SeedCase:
    # fmt: off
    output = _table((1, 3, 4, 5), [
        [7.0, 7.0, 7.0, 7.0, 7.0],
        [42.0, 42.0, 42.0, 42.0, 42.0],
        [217.0, 217.0, 217.0, 217.0, 217.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [7.0, 7.0, 7.0, 7.0, 7.0],
        [42.0, 42.0, 42.0, 42.0, 42.0],
        [217.0, 217.0, 217.0, 217.0, 217.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [7.0, 7.0, 7.0, 7.0, 7.0],
        [42.0, 42.0, 42.0, 42.0, 42.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
    ])
    hidden = _table((1, 3, 1, 5), [
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [217.0, 217.0, 217.0, 217.0, 217.0],
        [42.0, 42.0, 42.0, 42.0, 42.0],
    ])
    # fmt: on
    lengths = np.array([[4, 3, 2]], dtype=np.int32)
    return SeedCase(
        "seq_lengths",
        "per-sequence lengths 4, 3, 2 (seq_lengths)",
        _spec(RNNOperation.RELU, seq_lengths=lengths),
        _x(),
        {"output": output, "hidden": hidden},
    )


def _op(initial: SeedCase) -> SeedCase:
    return SeedCase(
        "op",
        "created as LSTM, op reset to RELU (num_layers & ... & op)",
        _spec(RNNOperation.RELU),
        _x(),
        dict(initial.expected),
        notes="The seed prints no table here: it says the result equals the initial example's. "
        "The layer is created as LSTM and `op` is then set to RELU, so a backend must honour the "
        "final op; as a spec that is simply RELU.",
    )


def _input_mode() -> SeedCase:
    # fmt: off
    output = _table((1, 3, 4, 5), [
        [1.0, 1.0, 1.0, 1.0, 1.0],
        [6.0, 6.0, 6.0, 6.0, 6.0],
        [31.0, 31.0, 31.0, 31.0, 31.0],
        [156.0, 156.0, 156.0, 156.0, 156.0],
        [1.0, 1.0, 1.0, 1.0, 1.0],
        [6.0, 6.0, 6.0, 6.0, 6.0],
        [31.0, 31.0, 31.0, 31.0, 31.0],
        [156.0, 156.0, 156.0, 156.0, 156.0],
        [1.0, 1.0, 1.0, 1.0, 1.0],
        [6.0, 6.0, 6.0, 6.0, 6.0],
        [31.0, 31.0, 31.0, 31.0, 31.0],
        [156.0, 156.0, 156.0, 156.0, 156.0],
    ])
    hidden = _table((1, 3, 1, 5), [
        [156.0, 156.0, 156.0, 156.0, 156.0],
        [156.0, 156.0, 156.0, 156.0, 156.0],
        [156.0, 156.0, 156.0, 156.0, 156.0],
    ])
    # fmt: on
    return SeedCase(
        "input_mode",
        "SKIP input mode, wIn = lenH = 5 (input_mode)",
        _spec(RNNOperation.RELU, input_mode=RNNInputMode.SKIP, data_length=LEN_H),
        _x(LEN_H),
        {"output": output, "hidden": hidden},
        notes="SKIP: no input weights, x added as is; the input biases are still required "
        "(the seed shows TensorRT failing with `Missing weights/bias: (0, INPUT, 1)` without them).",
    )


def _direction() -> SeedCase:
    # fmt: off
    output = _table((1, 3, 4, 10), [
        [7.0, 7.0, 7.0, 7.0, 7.0, 1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [42.0, 42.0, 42.0, 42.0, 42.0, 217.0, 217.0, 217.0, 217.0, 217.0],
        [217.0, 217.0, 217.0, 217.0, 217.0, 42.0, 42.0, 42.0, 42.0, 42.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0, 7.0, 7.0, 7.0, 7.0, 7.0],
        [7.0, 7.0, 7.0, 7.0, 7.0, 1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [42.0, 42.0, 42.0, 42.0, 42.0, 217.0, 217.0, 217.0, 217.0, 217.0],
        [217.0, 217.0, 217.0, 217.0, 217.0, 42.0, 42.0, 42.0, 42.0, 42.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0, 7.0, 7.0, 7.0, 7.0, 7.0],
        [7.0, 7.0, 7.0, 7.0, 7.0, 1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [42.0, 42.0, 42.0, 42.0, 42.0, 217.0, 217.0, 217.0, 217.0, 217.0],
        [217.0, 217.0, 217.0, 217.0, 217.0, 42.0, 42.0, 42.0, 42.0, 42.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0, 7.0, 7.0, 7.0, 7.0, 7.0],
    ])
    hidden = _table((1, 3, 2, 5), [
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
    ])
    # fmt: on
    return SeedCase(
        "direction",
        "bidirectional ReLU RNN (direction)",
        _spec(RNNOperation.RELU, direction=RNNDirection.BIDIRECTION),
        _x(),
        {"output": output, "hidden": hidden},
        notes="SEMANTICS §9.4: the seed declares weightFX/weightBX as (wIn, lenH); the contract is "
        "(lenH, wIn). They are all ones, so the printed numbers do not tell them apart.",
    )


def _hidden_state() -> SeedCase:
    # fmt: off
    output = _table((1, 3, 4, 5), [
        [12.0, 12.0, 12.0, 12.0, 12.0],
        [67.0, 12.0, 12.0, 12.0, 12.0],
        [342.0, 342.0, 342.0, 342.0, 342.0],
        [1717.0, 1717.0, 1717.0, 1717.0, 1717.0],
        [12.0, 12.0, 12.0, 12.0, 12.0],
        [67.0, 67.0, 67.0, 67.0, 67.0],
        [342.0, 342.0, 342.0, 342.0, 342.0],
        [1717.0, 1717.0, 1717.0, 1717.0, 1717.0],
        [12.0, 12.0, 12.0, 12.0, 12.0],
        [67.0, 67.0, 67.0, 67.0, 67.0],
        [342.0, 342.0, 342.0, 342.0, 342.0],
        [1717.0, 1717.0, 1717.0, 1717.0, 1717.0],
    ])
    hidden = _table((1, 3, 1, 5), [
        [1717.0, 1717.0, 1717.0, 1717.0, 1717.0],
        [1717.0, 1717.0, 1717.0, 1717.0, 1717.0],
        [1717.0, 1717.0, 1717.0, 1717.0, 1717.0],
    ])
    # fmt: on
    # SEMANTICS §9.2: row 2 of the first sequence prints `67, 12, 12, 12, 12`; the formula (and
    # the other two sequences, which are the same problem) give 67 everywhere.
    output[0, 0, 1, :] = 67.0
    return SeedCase(
        "hidden_state",
        "initial hidden state of ones (hidden_state)",
        _spec(RNNOperation.RELU, hidden_state=_ones(N_IN, C_IN, 1, LEN_H)),
        _x(),
        {"output": output, "hidden": hidden},
        notes="SEMANTICS §9.2: the seed prints `67, 12, 12, 12, 12` in row 2 of the first sequence; "
        "the golden table has 67 everywhere (the formula; the other two identical sequences print 67). "
        "The seed's h0 constant is (cIn, 1, lenH); in the contract it is (nIn, cIn, 1, lenH).",
    )


def _cell_state() -> SeedCase:
    # fmt: off
    output = _table((1, 3, 4, 5), [
        [0.760517, 0.760517, 0.760517, 0.760517, 0.760517],
        [0.963940, 0.963940, 0.963940, 0.963940, 0.963940],
        [0.995037, 0.995037, 0.995037, 0.995037, 0.995037],
        [0.999321, 0.999321, 0.999321, 0.999321, 0.999321],
        [0.760517, 0.760517, 0.760517, 0.7605171, 0.7605171],
        [0.963940, 0.963940, 0.963940, 0.963940, 0.963940],
        [0.995037, 0.995037, 0.995037, 0.995037, 0.995037],
        [0.999321, 0.999321, 0.999321, 0.999321, 0.999321],
        [0.760517, 0.760517, 0.760517, 0.7605171, 0.7605171],
        [0.963940, 0.963940, 0.963940, 0.963940, 0.963940],
        [0.995037, 0.995037, 0.995037, 0.995037, 0.995037],
        [0.999321, 0.999321, 0.999321, 0.999321, 0.999321],
    ])
    hidden = _table((1, 3, 1, 5), [
        [0.999321, 0.999321, 0.999321, 0.999321, 0.999321],
        [0.999321, 0.999321, 0.999321, 0.999321, 0.999321],
        [0.999321, 0.999321, 0.999321, 0.999321, 0.999321],
    ])
    cell = _table((1, 3, 1, 5), [
        [3.998999, 3.998999, 3.998999, 3.998999, 3.998999],
        [3.998999, 3.998999, 3.998999, 3.998999, 3.998999],
        [3.998999, 3.998999, 3.998999, 3.998999, 3.998999],
    ])
    # fmt: on
    return SeedCase(
        "cell_state",
        "1-layer LSTM with hidden_state and cell_state (cell_state)",
        _spec(
            RNNOperation.LSTM,
            hidden_state=_zeros(N_IN, C_IN, 1, LEN_H),
            cell_state=_zeros(N_IN, C_IN, 1, LEN_H),
        ),
        _x(),
        {"output": output, "hidden": hidden, "cell": cell},
        notes="SEMANTICS §9.1: the seed sets hidden_state to ones, but every printed number is what a "
        "ZERO initial hidden state gives, so this golden case uses h0 = 0 (see cell_state_h0_ones for "
        "ones). §9.5: last digits may differ by one (fp32 rounding; 0.7605171 printed in places).",
    )


def _bidirectional_lstm() -> SeedCase:
    # fmt: off
    output = _table((1, 3, 4, 10), [
        [0.760517, 0.760517, 0.760517, 0.760517, 0.760517, 0.999322, 0.999322, 0.999322, 0.999322, 0.999322],
        [0.963941, 0.963941, 0.963941, 0.963941, 0.963941, 0.995038, 0.995038, 0.995038, 0.995038, 0.995038],
        [0.995038, 0.995038, 0.995038, 0.995038, 0.995038, 0.963941, 0.963941, 0.963941, 0.963941, 0.963941],
        [0.999322, 0.999322, 0.999322, 0.999322, 0.999322, 0.760517, 0.760517, 0.760517, 0.760517, 0.760517],
        [0.760517, 0.760517, 0.760517, 0.760517, 0.760517, 0.999322, 0.999322, 0.999322, 0.999322, 0.999322],
        [0.963941, 0.963941, 0.963941, 0.963941, 0.963941, 0.995038, 0.995038, 0.995038, 0.995038, 0.995038],
        [0.995038, 0.995038, 0.995038, 0.995038, 0.995038, 0.963941, 0.963941, 0.963941, 0.963941, 0.963941],
        [0.999322, 0.999322, 0.999322, 0.999322, 0.999322, 0.760517, 0.760517, 0.760517, 0.760517, 0.760517],
        [0.760517, 0.760517, 0.760517, 0.760517, 0.760517, 0.999322, 0.999322, 0.999322, 0.999322, 0.999322],
        [0.963941, 0.963941, 0.963941, 0.963941, 0.963941, 0.995038, 0.995038, 0.995038, 0.995038, 0.995038],
        [0.995038, 0.995038, 0.995038, 0.995038, 0.995038, 0.963941, 0.963941, 0.963941, 0.963941, 0.963941],
        [0.999322, 0.999322, 0.999322, 0.999322, 0.999322, 0.760517, 0.760517, 0.760517, 0.760517, 0.760517],
    ])
    hidden = _table((1, 3, 2, 5), [
        [0.999322, 0.999322, 0.999322, 0.999322, 0.999322],
        [0.999322, 0.999322, 0.999322, 0.999322, 0.999322],
        [0.999322, 0.999322, 0.999322, 0.999322, 0.999322],
        [0.999322, 0.999322, 0.999322, 0.999322, 0.999322],
        [0.999322, 0.999322, 0.999322, 0.999322, 0.999322],
        [0.999322, 0.999322, 0.999322, 0.999322, 0.999322],
    ])
    cell = _table((1, 3, 2, 5), [
        [3.998999, 3.998999, 3.998999, 3.998999, 3.998999],
        [3.998999, 3.998999, 3.998999, 3.998999, 3.998999],
        [3.998999, 3.998999, 3.998999, 3.998999, 3.998999],
        [3.998999, 3.998999, 3.998999, 3.998999, 3.998999],
        [3.998999, 3.998999, 3.998999, 3.998999, 3.998999],
        [3.998999, 3.998999, 3.998999, 3.998999, 3.998999],
    ])
    # fmt: on
    return SeedCase(
        "bidirectional_lstm",
        "1-layer bidirectional LSTM (单层双向 LSTM)",
        _spec(
            RNNOperation.LSTM,
            direction=RNNDirection.BIDIRECTION,
            hidden_state=_zeros(N_IN, C_IN, 2, LEN_H),
            cell_state=_zeros(N_IN, C_IN, 2, LEN_H),
        ),
        _x(),
        {"output": output, "hidden": hidden, "cell": cell},
        notes="SEMANTICS §9.1: the seed sets hidden_state to ones but prints what h0 = 0 gives, so this "
        "golden case uses h0 = 0 (see bidirectional_lstm_h0_ones). §9.3: output 2 is labelled "
        "(1,3,1,5) but holds 30 numbers; it is (1,3,2,5). §9.5: 0.963941 vs 0.963940 is fp32 rounding.",
    )


def _multi_layer() -> SeedCase:
    # fmt: off
    output = _table((1, 3, 4, 5), [
        [35.0, 35.0, 35.0, 35.0, 35.0],
        [385.0, 385.0, 385.0, 385.0, 385.0],
        [3010.0, 3010.0, 3010.0, 3010.0, 3010.0],
        [20510.0, 20510.0, 20510.0, 20510.0, 20510.0],
        [35.0, 35.0, 35.0, 35.0, 35.0],
        [385.0, 385.0, 385.0, 385.0, 385.0],
        [3010.0, 3010.0, 3010.0, 3010.0, 3010.0],
        [20510.0, 20510.0, 20510.0, 20510.0, 20510.0],
        [35.0, 35.0, 35.0, 35.0, 35.0],
        [385.0, 385.0, 385.0, 385.0, 385.0],
        [3010.0, 3010.0, 3010.0, 3010.0, 3010.0],
        [20510.0, 20510.0, 20510.0, 20510.0, 20510.0],
    ])
    hidden = _table((1, 3, 2, 5), [
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [20510.0, 20510.0, 20510.0, 20510.0, 20510.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [20510.0, 20510.0, 20510.0, 20510.0, 20510.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [20510.0, 20510.0, 20510.0, 20510.0, 20510.0],
    ])
    # fmt: on
    return SeedCase(
        "multi_layer",
        "2-layer ReLU RNN (多层数的 RNN)",
        _spec(RNNOperation.RELU, num_layers=2),
        _x(),
        {"output": output, "hidden": hidden},
        notes="Stack layer 1 takes weightH (lenH, lenH) as its input weights.",
    )


def _h0_ones(case: SeedCase, name: str, steps: list[float], cell: float) -> SeedCase:
    """SEMANTICS §9.1's h0 = 1 variant: the seed's code as written, values from the formula."""
    k = case.spec.num_directions
    spec = case.spec.replace(hidden_state=_ones(*case.spec.state_shape))
    forward = np.repeat(np.asarray(steps, dtype=np.float32)[:, None], LEN_H, axis=1)
    halves = [forward, forward[::-1]][:k]  # constant input: backward step t is forward step T-1-t
    output = np.broadcast_to(np.concatenate(halves, axis=1), (N_IN, C_IN, H_IN, k * LEN_H)).copy()
    return SeedCase(
        name,
        case.title + ", hidden_state of ones as the seed's code sets it",
        spec,
        case.x,
        {
            "output": output,
            "hidden": np.full(spec.state_shape, steps[-1], dtype=np.float32),
            "cell": np.full(spec.state_shape, cell, dtype=np.float32),
        },
        notes="Not printed by the seed: SEMANTICS §9.1's formula values for h0 = 1 (every unit equal, "
        "so a scalar recurrence; test_reference_seed recomputes them in closed form and checks "
        "onnxruntime).",
    )


def _legacy(initial: SeedCase) -> SeedCase:
    # fmt: off
    output = _table((1, 4, 3, 5), [
        [7.0, 7.0, 7.0, 7.0, 7.0],
        [7.0, 7.0, 7.0, 7.0, 7.0],
        [7.0, 7.0, 7.0, 7.0, 7.0],
        [42.0, 42.0, 42.0, 42.0, 42.0],
        [42.0, 42.0, 42.0, 42.0, 42.0],
        [42.0, 42.0, 42.0, 42.0, 42.0],
        [217.0, 217.0, 217.0, 217.0, 217.0],
        [217.0, 217.0, 217.0, 217.0, 217.0],
        [217.0, 217.0, 217.0, 217.0, 217.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
    ])
    hidden = _table((1, 1, 3, 5), [
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
        [1092.0, 1092.0, 1092.0, 1092.0, 1092.0],
    ])
    # fmt: on
    return SeedCase(
        "add_rnn",
        "legacy add_rnn, implicit batch, sequence-major (add_rnn（已废弃）)",
        initial.spec,
        initial.x,
        {"output": output, "hidden": hidden},
        notes="Legacy layout (SEMANTICS §6): the seed shuffles its (cIn, hIn, wIn) input to "
        "(hIn, cIn, wIn) = [T, N, E] before add_rnn, with implicit batch nIn = 1. The expected "
        "tensors are in that layout: output [nIn, T, N, H] = (1, 4, 3, 5), hidden [nIn, L', N, H] = "
        "(1, 1, 3, 5). spec and x are the add_rnn_v2 equivalent (batch_shape (nIn, cIn)); the "
        "weight/bias blob (weight ones (lenH, wIn+lenH), bias zeros (2*lenH,)) is the legacy "
        "package's business.",
    )


_INITIAL = _initial()
_CELL = _cell_state()
_BI_LSTM = _bidirectional_lstm()

#: The seed's add_rnn_v2 examples (plus the §9.1 h0 = 1 variants), by name, in the seed's order.
SEED_CASES: dict[str, SeedCase] = {
    case.name: case
    for case in (
        _INITIAL,
        _seq_lengths(),
        _op(_INITIAL),
        _input_mode(),
        _direction(),
        _hidden_state(),
        _CELL,
        _h0_ones(_CELL, "cell_state_h0_ones", [0.761587, 0.964005, 0.995047, 0.999323], 3.999906),
        _BI_LSTM,
        _h0_ones(_BI_LSTM, "bidirectional_lstm_h0_ones", [0.761587, 0.964005, 0.995047, 0.999323], 3.999906),
        _multi_layer(),
    )
}

#: The legacy add_rnn example: expected tensors in the legacy sequence-major layout.
LEGACY_SEED_CASE: SeedCase = _legacy(_INITIAL)
