#!/bin/bash
# Multi-host recovery time: a 2-rank run of config M (hosts=127.0.0.1,127.0.0.1) on a fresh rnnd; one rank is
# killed with SIGKILL, and this prints the seconds until the run is running again (requeued after the 2 s backoff)
# and until its first step after the restart. Needs a release build (swift build -c release) and Open MPI.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/rnnd-restart-XXXX)
cd "$dir" && cp /usr/share/common-licenses/GPL-3 gpl.txt
"$root/.build/release"/rnnd --state-dir "$dir"/state --socket "$dir"/s.sock > rnnd.log 2>&1 &
sleep 1.5
export RNND_SOCKET="$dir"/s.sock
C="$root/.build/release"/rnnctl
id=$($C submit --data gpl.txt --set val_fraction=0.02 --set hosts=127.0.0.1,127.0.0.1 --set workers=1 --set hidden_size=256 --set layers=2 --set batch_size=64 --set seq_len=64 --set max_steps=5000 --set checkpoint_every=20 --set eval_every=0 -q)
sleep 6
pid=$(pgrep -f "rnnd-worker.*mpi/$id/config.json" | tail -1)
t0=$(date +%s.%N); kill -9 $pid
state() { $C status $id --json | python3 -c 'import json,sys; r=json.load(sys.stdin)["run"]; print(r["state"], r["step"], r["restarts"])'; }
while true; do read s st rs < <(state); [ "$rs" = 1 ] && [ "$s" = running ] && break; sleep 0.05; done
t1=$(date +%s.%N); base=$st
while true; do read s st rs < <(state); [ "$st" -gt "$base" ] && break; sleep 0.05; done
t2=$(date +%s.%N)
echo "kill -> running again: $(python3 -c "print(round($t1 - $t0, 2))") s; kill -> first step after the restart: $(python3 -c "print(round($t2 - $t0, 2))") s"
$C cancel $id > /dev/null
kill %1; wait
rm -rf "$dir"
