"""rnn-persistent on a GPU: cuDNN (torch) vs the persistent path vs a CUDA graph of a per-step loop.

All three run in this one process on the same weights (a torch module; the persistent side gets them
through `trtrnn.importers.from_torch`), timed with CUDA events after a queued GPU sleep (so host-side
launch work is not on the clock), median of --repeat runs, in µs per time step (the whole layer
stack, input projections included, divided by T):
- cudnn: `torch.nn.LSTM/GRU/RNN` in float32; whether TF32 is on is printed and recorded;
- persistent: per stack layer, the input projection as one torch GEMM (what the network's matmul
  does) + the plugin's `enqueue` (one persistent kernel, both directions) on torch's stream; the
  projection in exact float32 (`persistent`, as an engine built with `--no-tf32`) and with TF32
  operands (`persistent_tf32_projection`, TensorRT's default BuilderFlag.TF32; the recurrence
  itself is float32 either way); at batch 1 also with the unit layout (`unit_layout`, a warp per
  hidden unit: what the split layout replaced there, `TRTRNN_PERSISTENT_LAYOUT=unit`);
- loop_graph: one GEMM + the pointwise ops per step and direction, captured in one CUDA graph (a
  proxy for an ILoop engine).
Errors (`max_abs`) are against the same module in float64. Without a GPU, torch or cuda-python it
prints why and exits 0 (so `nox -s bench` runs anywhere).

    python benchmarks/bench_persistent.py --json reports/persistent-bench.json

Targets (issue 14): >= 5x cuDNN at LSTM and GRU T=128 B=1 H=256, >= 4x at the 2-layer
bidirectional LSTM, <= 1.5 µs/step for H <= 1024 at B = 1.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
from pathlib import Path

CONFIGS = [  # op, T, B, H, layers, bidirectional, weights
    ("LSTM", 128, 1, 256, 1, False, "float32"),
    ("LSTM", 128, 8, 256, 1, False, "float32"),
    ("LSTM", 128, 1, 512, 1, False, "float32"),
    ("LSTM", 128, 1, 1024, 1, False, "float32"),
    ("GRU", 128, 1, 256, 1, False, "float32"),
    ("LSTM", 64, 8, 256, 2, True, "float32"),
    ("TANH", 128, 1, 256, 1, False, "float32"),
    ("LSTM", 128, 1, 1024, 1, False, "float16"),
    ("LSTM", 128, 1, 1536, 1, False, "float16"),
]


def unavailable() -> str:
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU visible to torch"
    try:
        from cuda.bindings import driver  # noqa: F401
    except ImportError:
        return "cuda-python is not installed (pip install trtrnn-persistent[cuda])"
    return ""


def timed(fn, repeat: int) -> float:
    """Median µs of `fn()` on the GPU (see `timed_together`)."""
    return timed_together([fn], repeat)[0]


def timed_together(fns, repeat: int) -> list[float]:
    """Median µs of each of `fns` on the GPU, measured alternately (so clock changes hit all alike):
    CUDA events around each call, after a queued sleep that keeps the host's launches ahead."""
    import torch

    for fn in fns:
        for _ in range(3):
            fn()
    torch.cuda.synchronize()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, acc in zip(fns, times):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda._sleep(1_000_000)
            start.record()
            fn()
            end.record()
            end.synchronize()
            acc.append(start.elapsed_time(end) * 1000.0)
    return [statistics.median(t) for t in times]


def warm_up(dev, seconds: float = 3.0) -> None:
    """Keep the GPU busy for a few seconds so its clocks have ramped up before anything is timed."""
    import time

    import torch

    a = torch.randn(4096, 4096, device=dev)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(10):
            a = torch.tanh(a @ a * 1e-3)
        torch.cuda.synchronize()


def module_for(op: str, h: int, layers: int, bi: bool):
    import torch

    cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}.get(op)
    if cls is None:
        return torch.nn.RNN(h, h, layers, nonlinearity=op.lower(), batch_first=True, bidirectional=bi)
    return cls(h, h, layers, batch_first=True, bidirectional=bi)


class Persistent:
    """The persistent path on torch tensors: per layer, projection GEMM + the plugin's enqueue.

    `tf32` gives the projection GEMM TF32 operands; `layout` sets TRTRNN_PERSISTENT_LAYOUT for
    this path's launches (None: the planner's choice)."""

    def __init__(
        self, spec, x, weights: str, units: int = 0, *, tf32: bool = False, layout: str | None = None
    ) -> None:
        import torch

        from trtrnn_persistent import pack, pipeline

        self.layer = pipeline.layer_for(spec, weights_half=weights == "float16", units=units)
        self.spec, self.x = spec, x
        n, t, h, k = x.shape[0], x.shape[1], spec.hidden_size, spec.num_directions
        dev = x.device
        self.stacks = []
        for s in range(spec.num_layers):
            wt = torch.tensor(pack.input_weights(spec, s), dtype=torch.float32, device=dev)
            bias = torch.tensor(pack.input_bias(spec, s), dtype=torch.float32, device=dev)
            r = torch.tensor(pack.recurrent_weights(spec, s), device=dev)
            r = r.half() if weights == "float16" else r.float()
            rb = torch.tensor(pack.recurrent_bias(spec, s), dtype=torch.float32, device=dev)
            y = torch.empty(n, t, k * h, device=dev)
            hn, cn = torch.empty(n, k, h, device=dev), torch.empty(n, k, h, device=dev)
            self.stacks.append((wt, bias, r.contiguous(), rb, y, hn, cn))
        self.workspace = torch.empty(self.layer.workspace_bytes(n), dtype=torch.uint8, device=dev)
        self.plan = None
        self.tf32, self.layout = tf32, layout

    def __call__(self):
        import os

        import torch

        torch.backends.cuda.matmul.allow_tf32 = self.tf32
        os.environ.pop("TRTRNN_PERSISTENT_LAYOUT", None)
        if self.layout:
            os.environ["TRTRNN_PERSISTENT_LAYOUT"] = self.layout
        stream = torch.cuda.current_stream().cuda_stream
        inp = self.x
        n, t = inp.shape[0], inp.shape[1]
        for wt, bias, r, rb, y, hn, cn in self.stacks:
            xproj = torch.addmm(bias, inp.reshape(n * t, -1), wt).view(n, t, -1)
            outs = [y.data_ptr(), hn.data_ptr(), cn.data_ptr()][: self.layer.num_outputs]
            dims = [tuple(xproj.shape), tuple(r.shape), tuple(rb.shape)]
            ptrs = [xproj.data_ptr(), r.data_ptr(), rb.data_ptr()]
            self.plan = self.layer.enqueue(dims, ptrs, outs, self.workspace.data_ptr(), stream)
            inp = y
        torch.backends.cuda.matmul.allow_tf32 = False
        os.environ.pop("TRTRNN_PERSISTENT_LAYOUT", None)
        return inp


def loop_graph(spec, x, module):
    """A per-step loop (one GEMM + pointwise ops per step and direction) captured as a CUDA graph."""
    import torch

    from trtrnn_persistent import pack

    n, t, h, k = x.shape[0], x.shape[1], spec.hidden_size, spec.num_directions
    dev = x.device
    op = spec.op.name
    params = []
    for s in range(spec.num_layers):
        wt = torch.tensor(pack.input_weights(spec, s), dtype=torch.float32, device=dev)
        bias = torch.tensor(pack.input_bias(spec, s), dtype=torch.float32, device=dev)
        r = torch.tensor(pack.recurrent_weights(spec, s), dtype=torch.float32, device=dev)
        rb = torch.tensor(pack.recurrent_bias(spec, s), dtype=torch.float32, device=dev)
        params.append((wt, bias, r.view(k, -1, h).transpose(1, 2).contiguous(), rb.view(k, -1)))
    out = torch.empty(n, t, k * h, device=dev)

    def body():
        inp = x
        for wt, bias, rt, rb in params:
            xproj = torch.addmm(bias, inp.reshape(n * t, -1), wt).view(n, t, k, -1)
            y = torch.empty(n, t, k * h, device=dev)
            for d in range(k):
                hcur = torch.zeros(n, h, device=dev)
                c = torch.zeros(n, h, device=dev)
                for step in range(t):
                    tt = step if d == 0 else t - 1 - step
                    gh = torch.addmm(rb[d], hcur, rt[d])
                    gx = xproj[:, tt, d]
                    if op == "LSTM":
                        pre = gx + gh
                        i, f, g, o = pre.chunk(4, 1)
                        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                        hcur = torch.sigmoid(o) * torch.tanh(c)
                    elif op == "GRU":
                        xz, xr, xn = gx.chunk(3, 1)
                        hz, hr, hn_ = gh.chunk(3, 1)
                        z, rr = torch.sigmoid(xz + hz), torch.sigmoid(xr + hr)
                        hcur = (1 - z) * torch.tanh(xn + rr * hn_) + z * hcur
                    else:
                        pre = gx + gh
                        hcur = torch.relu(pre) if op == "RELU" else torch.tanh(pre)
                    y[:, tt, d * h : (d + 1) * h] = hcur
            inp = y
        out.copy_(inp)

    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        body()  # warm up (cuBLAS handles) outside the capture
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        body()
    return graph.replay, out


def run(args) -> dict:
    import torch

    from trtrnn.importers import from_torch
    from trtrnn_persistent import nvrtc
    from trtrnn_persistent import runtime as rt

    torch.manual_seed(0)
    tf32 = bool(torch.backends.cudnn.allow_tf32)
    dev = torch.device("cuda")
    device = rt.ensure_context()
    warm_up(dev)
    cases = []
    configs = CONFIGS[: args.limit] if args.limit else CONFIGS
    for op, t, b, h, layers, bi, weights in configs:
        module = module_for(op, h, layers, bi)
        spec = from_torch(module, max_seq_length=t, batch_shape=(b,), batch_first=True)
        module = module.to(dev)
        x = torch.randn(b, t, h, device=dev) * 0.5
        with torch.no_grad():
            ref = module.double()(x.double())[0].float()
            module.float()
            want = module(x)[0]
            entry = {"op": op, "T": t, "B": b, "H": h, "layers": layers, "bidirectional": bi,
                     "weights": weights, "cudnn_max_abs": float((want - ref).abs().max())}  # fmt: skip
            fns = {"cudnn": lambda module=module, x=x: module(x)}
            try:
                persistent = Persistent(spec, x, weights)
                got = persistent()
                torch.cuda.synchronize()
                plan = persistent.plan
                entry.update(
                    max_abs=float((got - ref).abs().max()),
                    plan={"units": plan.units, "threads": plan.threads, "grid": plan.grid,
                          "variant": plan.variant.name, "shared_bytes": plan.shared_bytes},
                )  # fmt: skip
                fns["persistent"] = persistent
                tf32_path = Persistent(spec, x, weights, tf32=True)
                entry["tf32_projection_max_abs"] = float((tf32_path() - ref).abs().max())
                fns["persistent_tf32_projection"] = tf32_path
                if b == 1 and persistent.plan.variant.split:
                    unit = Persistent(spec, x, weights, layout="unit")
                    entry["unit_layout_max_abs"] = float((unit() - ref).abs().max())
                    entry["unit_layout_variant"] = unit.plan.variant.name
                    fns["unit_layout"] = unit
            except Exception as exc:  # recorded, not hidden: a size that does not fit says why
                entry.update(max_abs=None, error=f"{type(exc).__name__}: {exc}")
            if weights == "float32" and h <= 1024:
                replay, out = loop_graph(spec, x, module)
                replay()
                torch.cuda.synchronize()
                entry["loop_graph_max_abs"] = float((out - ref).abs().max())
                fns["loop_graph"] = replay
            medians = dict(zip(fns, timed_together(list(fns.values()), args.repeat)))
            for name in ("cudnn", "persistent", "persistent_tf32_projection", "unit_layout", "loop_graph"):
                us = medians.get(name)
                entry[f"{name}_us_per_step"] = None if us is None else round(us / t, 3)
            if "persistent" in medians:
                entry["speedup_vs_cudnn"] = round(medians["cudnn"] / medians["persistent"], 2)
                entry["speedup_tf32_projection_vs_cudnn"] = round(
                    medians["cudnn"] / medians["persistent_tf32_projection"], 2
                )
        cases.append(entry)
        print(json.dumps(entry), flush=True)
    sweep = []
    if args.sweep:  # units per CTA (so the grid size) for two shapes; TRTRNN_PERSISTENT_UNITS sets it
        for h, b in ((256, 1), (256, 8), (512, 1), (1024, 1)):
            module = module_for("LSTM", h, 1, False)
            spec = from_torch(module, max_seq_length=128, batch_shape=(b,), batch_first=True)
            x = torch.randn(b, 128, h, device=dev) * 0.5
            for units in (2, 4, 8):
                try:
                    p = Persistent(spec, x, "float32", units=units)
                    p()
                    if any(e.get("units") == p.plan.units and e["H"] == h and e["B"] == b for e in sweep):
                        continue  # the planner raised it to a size already measured
                    us = round(timed(p, args.repeat) / 128, 3)
                except Exception as exc:
                    sweep.append({"H": h, "B": b, "units": units, "error": str(exc)[:120]})
                    continue
                sweep.append({"H": h, "B": b, "units": p.plan.units, "grid": p.plan.grid, "us_per_step": us})
        print("units sweep (LSTM T128):", sweep, flush=True)
    return {
        "device": torch.cuda.get_device_name(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python benchmarks/bench_persistent.py " + " ".join(sys.argv[1:]),
        "torch": torch.__version__,
        "cudnn": torch.backends.cudnn.version(),
        "cudnn_tf32": tf32,
        "nvrtc": nvrtc.version(),
        "arch": rt.device_limits(device).arch,
        "repeat": args.repeat,
        "unit": "µs per time step (whole stack incl. input projections, / T); median of repeat",
        "cases": cases,
        "units_sweep": sweep,
    }


def table(report: dict) -> str:
    head = ["op", "T", "B", "H", "layers", "bi", "weights", "cuDNN µs/step", "persistent µs/step", "×cuDNN"]
    head += ["TF32 projection µs/step", "×cuDNN", "unit layout µs/step", "loop graph µs/step", "max abs"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in report["cases"]:
        p = c.get("persistent_us_per_step")
        err = "" if c.get("max_abs") is None else f"{c['max_abs']:.1e}"
        bi = "yes" if c["bidirectional"] else "no"
        lines.append(
            f"| {c['op']} | {c['T']} | {c['B']} | {c['H']} | {c['layers']} | {bi} "
            f"| {c['weights']} | {c['cudnn_us_per_step']} | {p if p is not None else c.get('error', '')} "
            f"| {c.get('speedup_vs_cudnn', '')} | {c.get('persistent_tf32_projection_us_per_step') or ''} "
            f"| {c.get('speedup_tf32_projection_vs_cudnn', '')} | {c.get('unit_layout_us_per_step') or ''} "
            f"| {c.get('loop_graph_us_per_step') or ''} "
            f"| {err} |"
        )
    return "\n".join(lines)


def targets(report: dict) -> list[dict]:
    """Issue 14's targets, judged on this run's cases (both projection modes where one applies)."""
    out = []

    def find(op, b, h, layers=1):
        for c in report["cases"]:
            if (c["op"], c["B"], c["H"], c["layers"], c["weights"]) == (op, b, h, layers, "float32"):
                return c
        return None

    for op, b, h, layers, want in (
        ("LSTM", 1, 256, 1, 5.0),
        ("GRU", 1, 256, 1, 5.0),
        ("LSTM", 8, 256, 2, 4.0),
    ):
        c = find(op, b, h, layers)
        if c and c.get("speedup_vs_cudnn"):
            for key, mode in (("speedup_vs_cudnn", "fp32"), ("speedup_tf32_projection_vs_cudnn", "tf32")):
                out.append({"target": f"{op} B{b} H{h} layers {layers}: >= {want}x cuDNN", "projection": mode,
                            "value": c[key], "met": c[key] >= want})  # fmt: skip
    for c in report["cases"]:
        if c["B"] == 1 and c["H"] <= 1024 and c["weights"] == "float32" and c.get("persistent_us_per_step"):
            for key, mode in (
                ("persistent_us_per_step", "fp32"),
                ("persistent_tf32_projection_us_per_step", "tf32"),
            ):
                out.append({"target": f"{c['op']} B1 H{c['H']} layers {c['layers']}: <= 1.5 µs/step",
                            "projection": mode, "value": c[key], "met": c[key] <= 1.5})  # fmt: skip
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the report here (atomically)")
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--limit", type=int, default=0, help="only the first N configurations")
    parser.add_argument("--sweep", action="store_true", help="also sweep units per CTA for LSTM H256")
    args = parser.parse_args()
    why = unavailable()
    if why:
        print(f"bench_persistent: skipped: {why}")
        return 0
    report = run(args)
    report["targets"] = targets(report)
    print(f"cuDNN TF32: {'on' if report['cudnn_tf32'] else 'off'}; {report['device']}")
    print(table(report))
    for t in report["targets"]:
        verdict = "met   " if t["met"] else "MISSED"
        print(f"{verdict} {t['target']} (projection {t['projection']}): {t['value']}")
    if args.json:
        from trtrnn_persistent.cache import write_atomic

        write_atomic(Path(args.json), (json.dumps(report, indent=1) + "\n").encode())
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
