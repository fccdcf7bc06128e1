#!/usr/bin/env bash
# The web view in a real browser: Debian's chromium driven by Playwright (PyPI) against a real rnnd and
# rnnctl from .build/release (deploy/run-tests.sh builds them). Playwright's own browser download is not
# used (and cannot work offline): Tests/WebView/test_web_view.py launches /usr/bin/chromium.
#
# Usage: deploy/ui-tests.sh   (RNND_UI_SCREENSHOTS=docs/screenshots also refreshes the pictures of docs/web-view.md)
set -euo pipefail
cd "$(dirname "$0")/.."
extra_packages=(chromium python3-venv)
source deploy/require-packages.sh
venv=.build/ui-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import playwright' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "playwright==1.65"
fi
exec "$venv/bin/python" Tests/WebView/test_web_view.py
