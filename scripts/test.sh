#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run it.
#   - a virtualenv in .venv with kaifaqu-llm, its test extra and the ray extra (so the Ray smoke test runs)
#   - Debian's chromium for the HTML report test (skipped cleanly when it cannot be installed)
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k segment`.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test,ray]'

need_browser() { ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/truetype/wqy ]; }
if need_browser && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: installing Debian's chromium for the report test" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
        || echo "scripts/test.sh: chromium could not be installed; the browser test will be skipped" >&2
fi

exec .venv/bin/python -m pytest "$@"
