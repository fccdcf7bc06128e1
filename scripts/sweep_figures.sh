#!/usr/bin/env bash
# The sweep figures of docs/sweeps.md: a 16-trial grid (4 learning rates × 4 hidden sizes, 400 steps each) against
# ASHA over the same 16 configurations (rungs at 50, 150 and 400 steps, eta 3) on the licence texts every
# Debian system carries; one trial at a time, so both are deterministic. Prints each sweep's best trial,
# its validation loss, and the training steps it spent. Needs a release build (rnnd, rnnctl).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release
work=$(mktemp -d /tmp/rnnd-sweeps-XXXXXX)
"$bin/rnnd" --state-dir "$work/state" --socket "$work/rnnd.sock" --concurrent-runs 1 --log-level warning 2> "$work/rnnd.log" &
rnnd=$!
trap 'kill "$rnnd" 2>/dev/null || true; wait "$rnnd" 2>/dev/null || true; rm -rf "$work"' EXIT
export RNND_SOCKET="$work/rnnd.sock"
for _ in $(seq 100); do "$bin/rnnctl" status >/dev/null 2>&1 && break; sleep 0.1; done
cat /usr/share/common-licenses/{GPL-2,LGPL-2.1,GPL-3} > "$work/licences.txt"
common=(--data "$work/licences.txt" --space 'lr=[0.003, 0.01, 0.03, 0.1]' --space 'hidden_size=[32, 64, 128, 256]'
        --set val_fraction=0.05 --set eval_every=50 --max-concurrent 1 -q)
report() {
    "$bin/rnnctl" sweep status "$1" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
b = d["best"]
print(json.dumps({"method": d["sweep"]["method"], "best": b["assignment"], "val_loss": round(b["value"], 4),
                  "steps": d["sweep"]["steps"], "trials": d["sweep"]["trials"]}))'
}
start=$(date +%s)
grid=$("$bin/rnnctl" sweep submit "${common[@]}" --method grid --set max_steps=400)
"$bin/rnnctl" sweep watch "$grid" > /dev/null
echo "grid seconds: $(( $(date +%s) - start ))"
report "$grid"
start=$(date +%s)
asha=$("$bin/rnnctl" sweep submit "${common[@]}" --method asha --min-steps 50 --eta 3 --max-steps 400)
"$bin/rnnctl" sweep watch "$asha" > /dev/null
echo "asha seconds: $(( $(date +%s) - start ))"
report "$asha"
