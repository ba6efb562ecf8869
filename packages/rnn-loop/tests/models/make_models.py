"""Writes the small whole ONNX models the rewrite is tested on (committed next to this script).

    python packages/rnn-loop/tests/models/make_models.py          # needs torch (CPU) and onnx

Four are exported from PyTorch (torch.onnx's TorchScript exporter, opset 17, dynamic batch and
sequence axes), the way users get their models; three are hand-built with onnx.helper for what
PyTorch never exports. Weights are PyTorch's default initialisation under fixed seeds; every model
is a few KB. Not a test dependency: the tests read the committed .onnx files.

- ocr_conv_bilstm: Conv2d + ReLU + MaxPool, image columns as time steps, bidirectional LSTM, Linear,
  log_softmax (1 LSTM node, bidirectional)
- gru_stack_h0: 2-layer GRU (batch_first) fed an initial state, Linear (2 GRU nodes)
- tagger_emb_bigru_rnn: Embedding, bidirectional GRU, ReLU RNN, Linear (1 GRU, 1 RNN node)
- lstm_forecaster: 2-layer LSTM (batch_first), Linear on the last step (2 LSTM nodes)
- seqlens_bilstm (hand-built): bidirectional LSTM, sequence_lens and initial states as graph inputs
- layout1_gru (hand-built): GRU with layout=1 (batch-major X, Y and states)
- gru_lbr0 (hand-built): GRU with ONNX's default linear_before_reset=0
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OPSET = 17


def _export(module, args, name, inputs, outputs, dynamic):
    import torch

    module.eval()
    path = HERE / f"{name}.onnx"
    torch.onnx.export(
        module,
        args,
        str(path),
        input_names=inputs,
        output_names=outputs,
        dynamic_axes=dynamic,
        opset_version=OPSET,
        dynamo=False,
    )
    print(f"wrote {path.name} ({path.stat().st_size} bytes)")


def torch_models() -> None:
    import torch
    from torch import nn

    class Ocr(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
            self.rnn = nn.LSTM(4 * 4, 8, bidirectional=True)
            self.head = nn.Linear(16, 6)

        def forward(self, image):  # [B, 1, 8, W]
            f = self.conv(image)  # [B, 4, 4, W/2]
            seq = f.permute(3, 0, 1, 2).flatten(2)  # [W/2, B, 16]
            y, _ = self.rnn(seq)
            return self.head(y).log_softmax(-1)  # [W/2, B, 6]

    class GruStack(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(6, 8, num_layers=2, batch_first=True)
            self.head = nn.Linear(8, 3)

        def forward(self, x, h0):
            y, h = self.rnn(x, h0)
            return self.head(y), h

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(30, 6)
            self.gru = nn.GRU(6, 8, bidirectional=True, batch_first=True)
            self.rnn = nn.RNN(16, 8, nonlinearity="relu", batch_first=True)
            self.head = nn.Linear(8, 5)

        def forward(self, tokens):
            y, _ = self.gru(self.embed(tokens))
            z, _ = self.rnn(y)
            return self.head(z)

    class Forecaster(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(3, 8, num_layers=2, batch_first=True)
            self.head = nn.Linear(8, 1)

        def forward(self, series):
            y, _ = self.rnn(series)
            return self.head(y[:, -1])

    torch.manual_seed(0)
    _export(
        Ocr(),
        (torch.randn(2, 1, 8, 12),),
        "ocr_conv_bilstm",
        ["image"],
        ["log_probs"],
        {"image": {0: "batch", 3: "width"}, "log_probs": {0: "steps", 1: "batch"}},
    )
    torch.manual_seed(1)
    _export(
        GruStack(),
        (torch.randn(3, 5, 6), torch.randn(2, 3, 8)),
        "gru_stack_h0",
        ["x", "h0"],
        ["y", "h_n"],
        {
            "x": {0: "batch", 1: "steps"},
            "h0": {1: "batch"},
            "y": {0: "batch", 1: "steps"},
            "h_n": {1: "batch"},
        },
    )
    torch.manual_seed(2)
    _export(
        Tagger(),
        (torch.randint(0, 30, (2, 7)),),
        "tagger_emb_bigru_rnn",
        ["tokens"],
        ["scores"],
        {"tokens": {0: "batch", 1: "steps"}, "scores": {0: "batch", 1: "steps"}},
    )
    torch.manual_seed(3)
    _export(
        Forecaster(),
        (torch.randn(4, 10, 3),),
        "lstm_forecaster",
        ["series"],
        ["forecast"],
        {"series": {0: "batch", 1: "steps"}, "forecast": {0: "batch"}},
    )


def _hand_built(
    name: str, op: str, attrs: dict, inputs: list, outputs: list, weights: dict, node_inputs: list
) -> None:
    import onnx
    from onnx import helper, numpy_helper

    node = helper.make_node(op, node_inputs, [o.name for o in outputs], name=f"{op.lower()}_0", **attrs)
    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()]
    graph = helper.make_graph([node], name, inputs, outputs, initializer=inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="make_models.py"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = HERE / f"{name}.onnx"
    onnx.save(model, str(path))
    print(f"wrote {path.name} ({path.stat().st_size} bytes)")


def hand_models() -> None:
    from onnx import TensorProto, helper

    rng = np.random.default_rng(4)

    def w(*shape: int, h: int) -> np.ndarray:
        return rng.uniform(-1, 1, shape) / np.sqrt(h)

    f, i32 = TensorProto.FLOAT, TensorProto.INT32
    info = helper.make_tensor_value_info
    h, e = 6, 5
    _hand_built(
        "seqlens_bilstm",
        "LSTM",
        {"hidden_size": h, "direction": "bidirectional"},
        [
            info("X", f, ["T", "B", e]),
            info("sequence_lens", i32, ["B"]),
            info("initial_h", f, [2, "B", h]),
            info("initial_c", f, [2, "B", h]),
        ],
        [info("Y", f, ["T", 2, "B", h]), info("Y_h", f, [2, "B", h]), info("Y_c", f, [2, "B", h])],
        {"W": w(2, 4 * h, e, h=h), "R": w(2, 4 * h, h, h=h), "B": w(2, 8 * h, h=h)},
        ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c"],
    )
    _hand_built(
        "layout1_gru",
        "GRU",
        {"hidden_size": h, "layout": 1, "linear_before_reset": 1},
        [info("X", f, ["B", "T", e]), info("initial_h", f, ["B", 1, h])],
        [info("Y", f, ["B", "T", 1, h]), info("Y_h", f, ["B", 1, h])],
        {"W": w(1, 3 * h, e, h=h), "R": w(1, 3 * h, h, h=h), "B": w(1, 6 * h, h=h)},
        ["X", "W", "R", "B", "", "initial_h"],
    )
    _hand_built(
        "gru_lbr0",
        "GRU",
        {"hidden_size": h},
        [info("X", f, ["T", "B", e])],
        [info("Y", f, ["T", 1, "B", h]), info("Y_h", f, [1, "B", h])],
        {"W": w(1, 3 * h, e, h=h), "R": w(1, 3 * h, h, h=h), "B": w(1, 6 * h, h=h)},
        ["X", "W", "R", "B"],
    )


if __name__ == "__main__":
    hand_models()
    torch_models()
