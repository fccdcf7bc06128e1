#!/usr/bin/env bash
# The main job: builds rnnd and rnnctl in release mode, starts rnnd on its embedded defaults (unless one
# already answers), submits a character-level LSTM run on licence texts every Debian system carries,
# follows it with the progress bar, plots its loss curves and samples from the trained model.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/require-packages.sh
swift build -c release
bin=.build/release

if ! "$bin/rnnctl" status >/dev/null 2>&1; then
    log="$(mktemp --suffix=.rnnd.log)"
    echo "starting rnnd on its embedded defaults (log: $log)"
    "$bin/rnnd" 2> "$log" &
    rnnd_pid=$!
    # SIGTERM: rnnd checkpoints what is running and exits 0.
    trap 'kill -TERM "$rnnd_pid" 2>/dev/null; wait "$rnnd_pid" || true' EXIT
    for _ in $(seq 300); do "$bin/rnnctl" status >/dev/null 2>&1 && break; sleep 0.1; done
fi

corpus="$(mktemp --suffix=.txt)"
cat /usr/share/common-licenses/GPL-2 /usr/share/common-licenses/LGPL-2.1 /usr/share/common-licenses/GPL-3 > "$corpus"
run=$("$bin/rnnctl" submit --data "$corpus" --name licence-lstm -q \
    --set cell=lstm --set layers=2 --set hidden_size=128 --set embedding_size=32 --set dropout=0.1 \
    --set seq_len=64 --set batch_size=16 --set lr=0.003 --set lr_schedule=cosine --set warmup_steps=20 \
    --set max_steps=600 --set eval_every=100 --set checkpoint_every=100 --set val_fraction=0.05)
rm -f "$corpus"
echo "submitted run $run"
"$bin/rnnctl" watch "$run"
"$bin/rnnctl" plot "$run" --metric train_loss --height 12
"$bin/rnnctl" plot "$run" --metric val_loss --height 8
echo
"$bin/rnnctl" sample "$run" --prime "The " --length 400 --temperature 0.7 --seed 1
