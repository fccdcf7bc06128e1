#!/usr/bin/env python3
"""Side-by-side speed comparison of rnn-bench and PyTorch's nn.LSTM on the same cores.

  python3 scripts/compare_with_torch.py [--torch-python PY] [--rounds 3] [--threads 1] [--configs S M L TS]

For each configuration it alternates rnn-bench core and ../shared/reference/torch_lstm_bench.py for a
number of rounds (so both see the same machine load), and prints the median tokens/s of each, their ratio
and rnnd's GFLOP/s as a fraction of the single-thread sgemm rate rnn-bench measured in the same runs.
Build first: swift build -c release --product rnn-bench
"""
import argparse, json, os, re, statistics, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
ap = argparse.ArgumentParser()
ap.add_argument("--torch-python", default=os.path.expanduser("~/.venv-torch/bin/python"))
ap.add_argument("--reference", default=os.path.join(root, "..", "shared", "reference", "torch_lstm_bench.py"))
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--configs", nargs="+", default=["S", "M", "L", "TS"])
a = ap.parse_args()

bench = os.path.join(root, ".build", "release", "rnn-bench")
rows = []
for c in a.configs:
    ours, theirs, sgemm = [], [], []
    for _ in range(a.rounds):
        out = subprocess.run([bench, "core", "--config", c, "--threads", str(a.threads), "--json"],
                             check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            row = json.loads(line)
            if row["config"] == "sgemm":
                sgemm.append(row["gflops"])
            else:
                ours.append(row)
        t = subprocess.run([a.torch_python, a.reference, c, "--threads", str(a.threads)],
                           check=True, capture_output=True, text=True).stdout
        theirs.append(float(re.search(r"tokens_per_s=(\d+)", t).group(1)))
    tok = statistics.median(r["tokens_per_s"] for r in ours)
    gf = statistics.median(r["gflops"] for r in ours)
    sg = statistics.median(sgemm)
    th = statistics.median(theirs)
    rows.append((c, tok, th, tok / th, gf, gf / sg, sg))

print(f"threads={a.threads} rounds={a.rounds} (medians)")
print("config  rnnd tokens/s  torch tokens/s  rnnd/torch  rnnd GFLOP/s  % of sgemm  sgemm GFLOP/s")
for c, tok, th, ratio, gf, frac, sg in rows:
    print(f"{c:<7} {tok:>13,.0f}  {th:>14,.0f}  {ratio:>9.2f}x  {gf:>12.1f}  {frac*100:>9.0f}%  {sg:>13.1f}")
