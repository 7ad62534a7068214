#!/usr/bin/env bash
# Sets up a Debian machine for Vignette (installs what is missing) and builds the example
# site: `vignette build` with the repository's pipeline.json, into output/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product vignette
.build/release/vignette build "$@"
echo "Open output/html/look-back.html in a browser to see the result."
