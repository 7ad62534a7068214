#!/usr/bin/env bash
# Formatting lint: `swift format lint --strict` over the package, with the checked-in
# .swift-format configuration. Exit 1 on any finding. `scripts/lint.sh --fix` formats in place.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Package.swift Sources Tests bench)
if [ "${1:-}" = "--fix" ]; then
  exec swift format format --in-place --recursive "${paths[@]}"
fi
swift format lint --strict --recursive "${paths[@]}"
echo "lint: clean"
