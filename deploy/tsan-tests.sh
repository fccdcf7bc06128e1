#!/usr/bin/env bash
# The concurrency-heavy tests under ThreadSanitizer: the trainer's replicas and all-reduce, the scheduler and
# run control under racing cancel/pause/resume, the state machine's conditional transitions, the metric
# writer with concurrent readers. A debug build of its own (.build-tsan, about 1,400 compile jobs the first
# time); any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
swift test --sanitize=thread --scratch-path .build-tsan \
    --filter 'RunStateRaceTests|StateMachineTests|MetricTests|TrainerTests|CheckpointAndLifecycleTests'
