#!/usr/bin/env bash
# The whole test suite, in release mode: the learning tests train real networks, which debug builds
# run tens of times slower.
set -euo pipefail
cd "$(dirname "$0")/.."
# systemd-analyze checks the unit (deploy/rnnd.service); rsvg-convert renders rnnctl's PNG plots;
# python3-venv holds schemathesis and Playwright (from PyPI) for the API fuzzing and the browser tests;
# iproute2 (ip netns) makes the separate network stacks of the multi-host tests; chromium is the browser.
extra_packages=(systemd librsvg2-bin python3-venv iproute2 chromium)
source deploy/require-packages.sh
# swift test builds every target (rnnd and rnnctl included, which the end-to-end tests run) with
# testability; a separate `swift build` first would only compile everything a second time.
swift test -c release
# The running daemon against its OpenAPI document (schemathesis), hostile clients, the web view in a real browser, then the
# concurrent parts under ThreadSanitizer (a build of its own in .build-tsan).
deploy/fuzz-api.sh 50
# Slow, many and oversized clients against a real rnnd while it trains (loopback and its socket only).
python3 deploy/hostile-clients.py --slow 50 --connections 500 --fd-limit 256
deploy/ui-tests.sh
deploy/tsan-tests.sh
