#!/usr/bin/env bash
# Fuzzes the control API with schemathesis (PyPI) against a real rnnd's loopback TCP listener: every
# operation of the served OpenAPI document, a bounded number of generated requests each (examples,
# coverage, fuzzing and stateful phases). Fails on any 5xx, any response that does not conform to the
# document (status, content type, headers, schema), any schema-invalid request that is accepted, any method
# not answered 405, or rnnd dying; then on an operation that no request reached with a 2xx (the per-operation
# table is printed), and — once rnnd stopped — on a database that fails integrity_check, a run left running or
# in an unknown state, or a checkpoint or dataset file without its row (or the reverse). Not checked: "schema-valid requests are accepted" — rnnd's semantic
# rules (a dataset must exist, configuration keys depend on each other) are more than a schema says.
#
# Usage: deploy/fuzz-api.sh [EXAMPLES_PER_OPERATION]   (default 50; needs a release build of rnnd/rnnctl)
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-50}"
bin=.build/release
venv=.build/fuzz-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi
work=$(mktemp -d /tmp/rnnd-fuzz-XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token="fuzz-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
echo "$token" > "$work/token"
"$bin/rnnd" --state-dir "$work/state" --socket "$work/rnnd.sock" --tcp-listen "127.0.0.1:$port" \
    --token-file "$work/token" --log-level warning 2> "$work/rnnd.log" &
rnnd=$!
cleanup() { kill -9 "$rnnd" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export RNND_SOCKET="$work/rnnd.sock"
for _ in $(seq 100); do "$bin/rnnctl" status >/dev/null 2>&1 && break; sleep 0.1; done
# Seeded before the fuzz, so that every operation is reached with identifiers that exist: datasets (one used
# by no run, which can be deleted), a completed language model, completed forecasters and a completed sequence
# classifier (checkpoints and metrics), a failed run, a running one, a paused, a cancelled and a queued one behind it, and a sweep.
rnnctl() { "$bin/rnnctl" "$@"; }
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
state() { rnnctl show "$1" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["run"]["state"])'; }
python3 -c 'import math; print("t,y"); [print(f"{i},{10 + 3 * math.sin(i * 0.2):.6f}") for i in range(400)]' > "$work/series.csv"
python3 -c 'import json; [print(json.dumps({"input": [[1 if i % 2 else -1], [0.5]], "target": i % 2})) for i in range(40)]' > "$work/sequences.jsonl"
head -c 20000 /usr/share/common-licenses/GPL-2 > "$work/unused.txt"
text=$(rnnctl upload /usr/share/common-licenses/GPL-3 -q)
series=$(rnnctl upload "$work/series.csv" -q)
unused=$(rnnctl upload "$work/unused.txt" -q)
sequences=$(rnnctl upload "$work/sequences.jsonl" -q)
small=(--set hidden_size=16 --set val_fraction=0.02 --set eval_every=10 --set checkpoint_every=10 --set workers=1)
lm=$(rnnctl submit --dataset "$text" "${small[@]}" --set max_steps=20 --json | field id)
forecaster=$(rnnctl submit --dataset "$series" "${small[@]}" --set input_columns=y --set target_columns=y --set seq_len=10 --set val_fraction=0.1 \
    --set batch_size=8 --set max_steps=20 --json | field id)
forecaster2=$(rnnctl submit --dataset "$series" "${small[@]}" --set input_columns=y --set target_columns=y --set seq_len=12 --set val_fraction=0.1 \
    --set batch_size=8 --set max_steps=20 --json | field id)
classifier=$(rnnctl submit --dataset "$sequences" "${small[@]}" --set task=classification --set val_fraction=0.2 --set batch_size=4 \
    --set max_steps=20 --json | field id)
failed=$(rnnctl submit --dataset "$text" "${small[@]}" --set optimizer=sgd --set lr=10 --set spike_factor=1.05 \
    --set max_rollbacks=0 --set max_steps=500 --json | field id)
rnnctl watch "$lm" --json >/dev/null || true
rnnctl watch "$forecaster" --json >/dev/null || true
rnnctl watch "$forecaster2" --json >/dev/null || true
rnnctl watch "$classifier" --json >/dev/null || true
rnnctl watch "$failed" --json >/dev/null || true
running=$(rnnctl submit --dataset "$text" "${small[@]}" --set max_steps=100000000 --json | field id)
for _ in $(seq 300); do [ "$(state "$running")" = running ] && break; sleep 0.1; done
# Several of the states the fuzzer's requests consume (a pause takes a queued run, a resume a paused one), so
# that each such operation finds one left whatever the order of its requests; the sweep's trials are long, so
# that it is still running when its cancel is tried.
paused=$(rnnctl submit --dataset "$text" "${small[@]}" --set max_steps=30 --json | field id)
rnnctl pause "$paused" >/dev/null
cancelled=$(rnnctl submit --dataset "$text" "${small[@]}" --set max_steps=30 --json | field id)
rnnctl cancel "$cancelled" >/dev/null
queued=$(rnnctl submit --dataset "$text" "${small[@]}" --set max_steps=30 --json | field id)
spares=()
for _ in 1 2 3 4; do spares+=("$(rnnctl submit --dataset "$text" "${small[@]}" --set max_steps=30 --json | field id)"); done
rnnctl pause "${spares[0]}" "${spares[1]}" >/dev/null
sweep=$(rnnctl sweep submit --dataset "$text" --space 'lr=[0.01, 0.02]' --method grid "${small[@]}" --set max_steps=100000000 -q)
runs="$lm,$forecaster,$failed,$running,$paused,$cancelled,$queued"
states=$(for id in ${runs//,/ }; do state "$id"; done | sort | tr '\n' ' ')
runs="$runs,$forecaster2,$classifier,$(IFS=,; echo "${spares[*]}")"
if [ "$states" != "cancelled completed completed failed paused queued running " ]; then
    echo "fuzz-api: the seeded runs $runs are in the states $states, not one in each state" >&2; cat "$work/rnnd.log" >&2; exit 1
fi
echo "fuzz-api: seeded runs $runs (states: $states), sweep $sweep, datasets ${text:0:12} ${series:0:12} ${unused:0:12}"
"$venv/bin/python" deploy/fuzz_support.py patch Sources/RNNAPI/openapi.yaml "$work/openapi.yaml" --runs "$runs" --sweeps "$sweep" \
    --datasets "$text,$series,$unused,$sequences" --text-dataset "$text" --series-dataset "$series" --sequence-dataset "$sequences"
status=0
"$venv/bin/schemathesis" --config-file deploy/schemathesis.toml run "$work/openapi.yaml" --url "http://127.0.0.1:$port" -H "Authorization: Bearer $token" \
    --checks all --exclude-checks positive_data_acceptance --max-examples "$examples" \
    --phases examples,coverage,fuzzing,stateful --request-timeout 10 --no-color \
    --report har --report-har-path "$work/fuzz.har" || status=$?
"$venv/bin/python" deploy/fuzz_support.py report "$work/fuzz.har" "$work/openapi.yaml" || status=1
if ! kill -0 "$rnnd" 2>/dev/null; then
    echo "fuzz-api: rnnd died during the fuzzing; its log:" >&2; cat "$work/rnnd.log" >&2; exit 1
fi
kill -TERM "$rnnd"
wait "$rnnd" || { echo "fuzz-api: rnnd did not stop cleanly after the fuzzing; its log:" >&2; cat "$work/rnnd.log" >&2; exit 1; }
"$venv/bin/python" deploy/fuzz_support.py check "$work/state" || status=1
exit "$status"
