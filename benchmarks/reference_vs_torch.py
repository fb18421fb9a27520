"""Reference implementations vs PyTorch CPU float64, measured in the same run.

Cases (issue 2): convolution forward+backward (m=32, 32x32x16 input, 32 filters 3x3, pad 1,
stride 1); max pooling 2x2 stride 2 forward+backward on the same input; LSTM forward+backward
(n_x=64, n_a=128, m=32, T_x=50). For scale, the loop implementations students write
(benchmarks/naive_*.py) are timed too; the slow loop convolution runs on a slice of the batch and is
scaled up to m=32 (it is linear in m), which the output marks as extrapolated.

Ratios are reference time / torch time: below 1.0 the reference is faster. Goals: convolution and
LSTM <= 1.0, pooling <= 1.5.

Both sides run in one process with the allocator setting dlgrade's grading workers use
(grader.allocator: freed memory is kept rather than unmapped, which spares page faults that
otherwise dominate pooling); `--default-allocator` measures with glibc's defaults instead.

    python benchmarks/reference_vs_torch.py [--repeats N] [--json] [--check]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import naive_cnn
import naive_lstm
import torch

from grader.allocator import retain_freed_memory
from reference import cnn, rnn


@dataclass
class Row:
    case: str
    reference_ms: float
    torch_ms: float
    loop_ms: float
    loop_note: str
    ratio: float
    goal: float

    @property
    def met(self) -> bool:
        return self.ratio <= self.goal


def median_ms(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median wall time of fn() in milliseconds after warm-up calls."""
    return paired_median_ms(fn, None, repeats, warmup, rounds=1)[0]


def paired_median_ms(
    first: Callable[[], object],
    second: Callable[[], object] | None,
    repeats: int,
    warmup: int = 2,
    rounds: int = 4,
) -> tuple[float, float]:
    """Median wall times (ms) of two functions, timed in alternating rounds of consecutive calls.

    Rounds spread slow phases of a shared machine over both sides; calls within a round are
    consecutive because alternating single calls makes torch's and BLAS's worker threads spin
    against each other, which penalises whichever runs second.
    """
    fns = [first] if second is None else [first, second]
    times: list[list[float]] = [[] for _ in fns]
    per_round = max(1, repeats // rounds)
    for _ in range(rounds):
        for fn, sink in zip(fns, times, strict=True):
            for _ in range(warmup):
                fn()
            for _ in range(per_round):
                start = time.perf_counter()
                fn()
                sink.append((time.perf_counter() - start) * 1000.0)
    medians = [statistics.median(t) for t in times]
    return medians[0], medians[-1]


def bench_conv(repeats: int, rng: np.random.Generator) -> Row:
    m, n_H, n_W, n_C_prev, n_C, f = 32, 32, 32, 16, 32, 3
    hp = {"pad": 1, "stride": 1}
    A_prev = rng.standard_normal((m, n_H, n_W, n_C_prev))
    W = rng.standard_normal((f, f, n_C_prev, n_C))
    b = rng.standard_normal((1, 1, 1, n_C))
    dZ = rng.standard_normal((m, n_H, n_W, n_C))

    def ref() -> None:
        _, cache = cnn.conv_forward(A_prev, W, b, hp)
        cnn.conv_backward(dZ, cache)

    x = torch.tensor(A_prev.transpose(0, 3, 1, 2).copy(), requires_grad=True)
    w = torch.tensor(W.transpose(3, 2, 0, 1).copy(), requires_grad=True)
    bt = torch.tensor(b.reshape(-1).copy(), requires_grad=True)
    dout = torch.tensor(dZ.transpose(0, 3, 1, 2).copy())

    def tor() -> None:
        out = torch.nn.functional.conv2d(x, w, bt, stride=1, padding=1)
        out.backward(dout)

    loop_m = 2
    A_small, dZ_small = A_prev[:loop_m], dZ[:loop_m]

    def loop() -> None:
        _, cache = naive_cnn.conv_forward(A_small, W, b, hp)
        naive_cnn.conv_backward(dZ_small, cache)

    ref_ms, torch_ms = paired_median_ms(ref, tor, repeats)
    loop_ms = median_ms(loop, 1, warmup=0) * (m / loop_m)
    note = f"extrapolated from m={loop_m}"
    return Row(
        "conv 3x3 pad1 s1, 32x32x16 -> 32, m=32", ref_ms, torch_ms, loop_ms, note, ref_ms / torch_ms, 1.0
    )


def bench_pool(repeats: int, rng: np.random.Generator) -> Row:
    m, n_H, n_W, n_C = 32, 32, 32, 16
    hp = {"f": 2, "stride": 2}
    A_prev = rng.standard_normal((m, n_H, n_W, n_C))
    dA = rng.standard_normal((m, n_H // 2, n_W // 2, n_C))

    def ref() -> None:
        _, cache = cnn.pool_forward(A_prev, hp, mode="max")
        cnn.pool_backward(dA, cache, mode="max")

    x = torch.tensor(A_prev.transpose(0, 3, 1, 2).copy(), requires_grad=True)
    dout = torch.tensor(dA.transpose(0, 3, 1, 2).copy())

    def tor() -> None:
        out = torch.nn.functional.max_pool2d(x, 2, 2)
        out.backward(dout)

    loop_m = 4
    A_small, dA_small = A_prev[:loop_m], dA[:loop_m]

    def loop() -> None:
        _, cache = naive_cnn.pool_forward(A_small, hp, mode="max")
        naive_cnn.pool_backward(dA_small, cache, mode="max")

    ref_ms, torch_ms = paired_median_ms(ref, tor, repeats)
    loop_ms = median_ms(loop, 1, warmup=0) * (m / loop_m)
    note = f"extrapolated from m={loop_m}"
    return Row("max pool 2x2 s2, 32x32x16, m=32", ref_ms, torch_ms, loop_ms, note, ref_ms / torch_ms, 1.5)


def bench_lstm(repeats: int, rng: np.random.Generator) -> Row:
    n_x, n_a, m, T_x, n_y = 64, 128, 32, 50, 10
    x = rng.standard_normal((n_x, m, T_x))
    a0 = rng.standard_normal((n_a, m))
    params = {}
    for gate in "fico":
        params[f"W{gate}"] = rng.standard_normal((n_a, n_a + n_x)) * 0.1
        params[f"b{gate}"] = rng.standard_normal((n_a, 1)) * 0.1
    params["Wy"] = rng.standard_normal((n_y, n_a)) * 0.1
    params["by"] = rng.standard_normal((n_y, 1)) * 0.1
    da = rng.standard_normal((n_a, m, T_x))

    def ref() -> None:
        _, _, _, caches = rnn.lstm_forward(x, a0, params)
        rnn.lstm_backward(da, caches)

    def loop() -> None:
        _, _, _, caches = naive_lstm.lstm_forward(x, a0, params)
        naive_lstm.lstm_backward(da, caches)

    lstm = torch.nn.LSTM(n_x, n_a).double()
    xt = torch.tensor(x.transpose(2, 1, 0).copy(), requires_grad=True)  # (T_x, m, n_x)
    h0 = torch.tensor(a0.T[None].copy(), requires_grad=True)
    c0 = torch.zeros((1, m, n_a), dtype=torch.float64)
    dout = torch.tensor(da.transpose(2, 1, 0).copy())

    def tor() -> None:
        out, _ = lstm(xt, (h0, c0))
        out.backward(dout)

    ref_ms, torch_ms = paired_median_ms(ref, tor, repeats)
    loop_ms = median_ms(loop, max(1, repeats // 3))
    return Row(
        "LSTM n_x=64 n_a=128 m=32 T_x=50", ref_ms, torch_ms, loop_ms, "measured", ref_ms / torch_ms, 1.0
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeats", type=int, default=15, help="timed repetitions per case (median reported)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument(
        "--default-allocator", action="store_true", help="keep glibc's defaults (no grader.allocator setting)"
    )
    args = parser.parse_args(argv)
    allocator = "glibc defaults" if args.default_allocator else "freed memory retained"
    if not args.default_allocator and not retain_freed_memory():
        allocator = "glibc defaults (mallopt unavailable)"

    rng = np.random.default_rng(0)
    rows = [bench_conv(args.repeats, rng), bench_pool(args.repeats, rng), bench_lstm(args.repeats, rng)]
    if args.json:
        doc = {
            "torch": torch.__version__,
            "numpy": np.__version__,
            "torch_threads": torch.get_num_threads(),
            "allocator": allocator,
            "rows": [asdict(r) | {"met": r.met} for r in rows],
        }
        print(json.dumps(doc, indent=2))
    else:
        threads = torch.get_num_threads()
        print(f"torch {torch.__version__} ({threads} threads), numpy {np.__version__}, float64, CPU")
        print(f"allocator: {allocator}")
        header = (
            f"{'case':42} {'reference':>11} {'torch':>9} {'ratio':>6} {'goal':>5}  {'loop (students)':>16}"
        )
        print(header)
        print("-" * len(header))
        for r in rows:
            verdict = "ok" if r.met else "MISSED"
            print(
                f"{r.case:42} {r.reference_ms:9.1f}ms {r.torch_ms:7.1f}ms {r.ratio:6.2f} {r.goal:5.1f}"
                f"  {r.loop_ms:12.0f}ms {verdict}"
                f"  (loop {r.loop_note}; {r.loop_ms / r.reference_ms:.0f}x reference)"
            )
    return 1 if args.check and not all(r.met for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
