#!/usr/bin/env bash
# Fuzzes the control API with schemathesis (PyPI) against a real rnnd's loopback TCP listener: every
# operation of the served OpenAPI document, a bounded number of generated requests each (examples,
# coverage, fuzzing and stateful phases). Fails on any 5xx, any response that does not conform to the
# document (status, content type, headers, schema), any schema-invalid request that is accepted, any method
# not answered 405, or rnnd dying. Not checked: "schema-valid requests are accepted" — rnnd's semantic
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
# Real data to reach: a trained language model (run 1, the document's example id), its checkpoints.
"$bin/rnnctl" submit --data /usr/share/common-licenses/GPL-3 --set max_steps=20 --set hidden_size=16 \
    --set eval_every=10 --set checkpoint_every=10 --set val_fraction=0.02 --watch -q >/dev/null
status=0
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.yaml" -H "Authorization: Bearer $token" \
    --checks all --exclude-checks positive_data_acceptance --max-examples "$examples" \
    --phases examples,coverage,fuzzing,stateful --request-timeout 10 --no-color || status=$?
if ! kill -0 "$rnnd" 2>/dev/null; then
    echo "fuzz-api: rnnd died during the fuzzing; its log:" >&2; cat "$work/rnnd.log" >&2; exit 1
fi
kill -TERM "$rnnd"
wait "$rnnd" || { echo "fuzz-api: rnnd did not stop cleanly after the fuzzing; its log:" >&2; cat "$work/rnnd.log" >&2; exit 1; }
exit "$status"
