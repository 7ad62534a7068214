# Sourced by Tests/*/run.sh: installs the Python packages the checks need and builds the
# debug `vignette` binary (unless $VIGNETTE names one). $1 names the checks in messages.
prepare_checks() {
  if [ -s scripts/requirements.txt ]; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r scripts/requirements.txt || exit 2
  fi
  if [ -z "${VIGNETTE:-}" ]; then
    # Incremental; quick after `swift test` has built the debug products.
    if ! build_log=$(swift build --product vignette 2>&1); then
      echo "$build_log" | tail -30 >&2
      echo "$1: swift build failed" >&2
      exit 2
    fi
  fi
}
