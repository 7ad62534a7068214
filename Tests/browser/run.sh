#!/usr/bin/env bash
# Browser checks: builds the example site with the real `vignette` binary into a temporary
# copy and opens it in headless Chromium (Debian's `chromium`, driven over the DevTools
# protocol). Exits non-zero when any check fails; pytest's last line counts them.
# Needs what scripts/setup.sh installs; extra arguments go to pytest (e.g. -k facade).
set -uo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null && [ ! -x /usr/lib/chromium/chromium ]; then
  echo "browser tests: chromium is not installed (run scripts/setup.sh)" >&2
  exit 2
fi
source Tests/prepare.sh
prepare_checks "browser tests"
exec python3 -m pytest Tests/browser -p no:cacheprovider -q -rfE "$@"
