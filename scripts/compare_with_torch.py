#!/usr/bin/env python3
"""Side-by-side speed comparison of rnn-bench and PyTorch's nn.LSTM on the same cores.

  python3 scripts/compare_with_torch.py [--rounds 3] [--configs S M L TS] [--torch-python PY]
  python3 scripts/compare_with_torch.py --scaling [--rounds 3] [--configs S M L]

Default (one thread): alternates rnn-bench core (the numeric core, one replica, BLAS 1 thread) and
../shared/reference/torch_lstm_bench.py --threads 1 for a number of rounds, so both see the same machine
load, and prints median tokens/s, their ratio, and rnnd's GFLOP/s as a share of the single-thread sgemm
rate rnn-bench measured in the same runs.

--scaling (this machine's cores): per round runs the trainer with 1 and 2 replicas (--workers), one
replica with BLAS allowed 2 threads, and PyTorch with 2 threads; prints medians, the W=2/W=1 speed-up
and W=2 against PyTorch, each ratio taken within a round, and the share of the W=2 step spent in the
all-reduce and the update.
Build first: swift build -c release --product rnn-bench
"""
import argparse, json, os, re, statistics, subprocess

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
ap = argparse.ArgumentParser()
ap.add_argument("--torch-python", default=os.path.expanduser("~/.venv-torch/bin/python"))
ap.add_argument("--reference", default=os.path.join(root, "..", "shared", "reference", "torch_lstm_bench.py"))
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--configs", nargs="+", default=None)
ap.add_argument("--scaling", action="store_true")
a = ap.parse_args()
bench = os.path.join(root, ".build", "release", "rnn-bench")


kernels = set()


def ours(config, *flags):
    out = subprocess.run([bench, "core", "--config", config, "--json", *flags], check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    sgemm = next(r for r in rows if r["config"] == "sgemm")
    kernels.add(sgemm["blas_core"])
    return next(r for r in rows if r["config"] == config), sgemm["gflops"]


def torch(config, threads):
    out = subprocess.run([a.torch_python, a.reference, config, "--threads", str(threads)], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"tokens_per_s=(\d+)", out).group(1))


med = statistics.median
if "OPENBLAS_CORETYPE" in os.environ:
    print(f"note: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is set and fixes OpenBLAS's kernels (and the sgemm rate)")
if not a.scaling:
    print(f"1 thread, {a.rounds} alternating rounds (medians)")
    print("config  rnnd tokens/s  torch tokens/s  rnnd/torch  rnnd GFLOP/s  % of sgemm  sgemm GFLOP/s")
    for c in a.configs or ["S", "M", "L", "TS"]:
        rows, sgemm, theirs, ratios, shares = [], [], [], [], []
        for _ in range(a.rounds):
            r, s = ours(c)
            t = torch(c, 1)
            rows.append(r); sgemm.append(s); theirs.append(t)
            ratios.append(r["tokens_per_s"] / t); shares.append(r["gflops"] / s)
        print(f"{c:<7} {med(r['tokens_per_s'] for r in rows):>13,.0f}  {med(theirs):>14,.0f}  {med(ratios):>9.2f}x"
              f"  {med(r['gflops'] for r in rows):>12.1f}  {med(shares)*100:>9.0f}%  {med(sgemm):>13.1f}")
else:
    print(f"data-parallel trainer, {a.rounds} alternating rounds (medians; ratios taken within each round)")
    print("config  W=1 tok/s  W=2 tok/s  W=1+BLAS2 tok/s  torch 2thr tok/s  W2/W1  W2/(W1+BLAS2)  W2/torch2  allreduce+update (W=2)")
    for c in a.configs or ["S", "M", "L"]:
        w1, w2, b2, t2, r21, r2b, r2t, share = [], [], [], [], [], [], [], []
        for _ in range(a.rounds):
            one, _ = ours(c, "--workers", "1")
            two, _ = ours(c, "--workers", "2")
            blas2, _ = ours(c, "--workers", "1", "--threads", "2")
            theirs = torch(c, 2)
            w1.append(one["tokens_per_s"]); w2.append(two["tokens_per_s"]); b2.append(blas2["tokens_per_s"]); t2.append(theirs)
            r21.append(two["tokens_per_s"] / one["tokens_per_s"]); r2b.append(two["tokens_per_s"] / blas2["tokens_per_s"])
            r2t.append(two["tokens_per_s"] / theirs); share.append(two["allreduce_update_pct"])
        print(f"{c:<7} {med(w1):>9,.0f}  {med(w2):>9,.0f}  {med(b2):>15,.0f}  {med(t2):>16,.0f}  {med(r21):>4.2f}x"
              f"  {med(r2b):>12.2f}x  {med(r2t):>8.2f}x  {med(share):>5.1f}%")
print(f"(OpenBLAS kernels: {', '.join(sorted(kernels))})")
