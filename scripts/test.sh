#!/usr/bin/env bash
# Runs every test: the Swift suite (unit, end-to-end, Hugo and HTTP tests), the themed-site
# checks (real Hugo themes before and after `--site`) and the browser checks in headless
# Chromium, and the README workflow checker's own rules (Tests/workflow/run.sh, which runs
# that job and takes long, is not run here). Installs what is missing first.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 2
if [ -s scripts/requirements.txt ]; then
  python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt || exit 2
fi
status=0
swift test || status=1
if [ -x Tests/themes/run.sh ]; then
  Tests/themes/run.sh || status=1
fi
if [ -x Tests/browser/run.sh ]; then
  Tests/browser/run.sh || status=1
fi
python3 -m pytest Tests/workflow/test_workflow_check.py -p no:cacheprovider -q || status=1
exit $status
