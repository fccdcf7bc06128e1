#!/usr/bin/env bash
# The main job: builds in release mode and runs a short demo training run through the library
# (a character-level LSTM on a built-in text, then a sample from it).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/require-packages.sh
swift build -c release --product rnn-demo
exec .build/release/rnn-demo
