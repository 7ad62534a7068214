#!/usr/bin/env bash
# Themed-site checks: real Hugo themes' example sites (Tests/themes/README.md) built with the
# real `hugo`, then `vignette build --site public`, compared page by page (sitecheck.py).
# Needs what scripts/setup.sh installs; extra arguments go to pytest (e.g. -k papermod).
set -uo pipefail
cd "$(dirname "$0")/../.."

if ! command -v hugo >/dev/null; then
  echo "themed-site tests: hugo is not installed (run scripts/setup.sh)" >&2
  exit 2
fi
source Tests/prepare.sh
prepare_checks "themed-site tests"
exec python3 -m pytest Tests/themes -p no:cacheprovider -q -rfEs "$@"
