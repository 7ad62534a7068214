#!/usr/bin/env bash
# The README's GitHub Actions job for a Hugo site, run here as far as it can be without GitHub
# (run_readme_workflow.py says what is stood in for). Slow: the job's own release build of
# Vignette in a fresh clone. Arguments: the theme (papermod or stack) and a work folder to keep
# (a second run in the same folder reuses the clone's build, as the job's cache would).
set -uo pipefail
cd "$(dirname "$0")/../.."

if ! command -v hugo >/dev/null; then
  echo "workflow check: hugo is not installed (run scripts/setup.sh)" >&2
  exit 2
fi
source Tests/prepare.sh
prepare_checks "workflow check"
exec python3 Tests/workflow/run_readme_workflow.py "$@"
