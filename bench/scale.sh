#!/usr/bin/env bash
# The generated-site benchmark (not part of the tests): makes a site of POSTS posts and IMAGES
# small pictures with bench/scale-site.py (a copy of the project's shared generator), then
# times Vignette's cold build, a first build with this binary (the emit index covers the
# binary, so a new one writes every post once), two no-op rebuilds and a one-post edit, each
# with GNU time (wall, CPU, peak RSS) and the --json stage seconds; then the no-op's peak RSS
# on sites of FLAT posts (500 pictures each), and watch mode's one-post edit latency on a site
# of WATCH_POSTS posts (bench/watch-latency.py, median of 10); and the load average around it.
#
#   swift build -c release --product vignette
#   bench/scale.sh                 # 10,000 posts, 20,000 images (a cold build takes long)
#   POSTS=1000 IMAGES=2000 FLAT="500 1000" WATCH_POSTS=1000 bench/scale.sh
#
# BENCH_DIR moves the work folder (default bench/work: scale-POSTS, flat-N); an existing site
# and cache there are reused, so each cold build runs only once (COLD=1 forces it again).
# FLAT="" or WATCH_POSTS=0 leaves those parts out.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS=${POSTS:-10000}
IMAGES=${IMAGES:-20000}
BIN=${BIN:-.build/release/vignette}
FLAT=${FLAT-2500 5000 10000}
WATCH_POSTS=${WATCH_POSTS:-5000}
WORK=${BENCH_DIR:-bench/work}
SITE=$WORK/scale-$POSTS
[ -x "$BIN" ] || { echo "scale: build the release binary first (swift build -c release --product vignette)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "scale: needs GNU time (apt-get install time)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

[ -f "$SITE/pipeline.json" ] || python3 bench/scale-site.py "$SITE" "$POSTS" "$IMAGES" >/dev/null
if [ "${COLD:-0}" = 1 ]; then rm -rf "$SITE/.vignette-cache" "$SITE/output"; fi

run() { # label, then vignette arguments (in the folder $SITE)
  local label=$1; shift
  local json; json=$(mktemp)
  local timing; timing=$(mktemp)
  (cd "$SITE" && /usr/bin/time -f '%e %U %S %M' -o "$timing" "$BIN" "$@" --json >"$json" 2>/dev/null) || true
  python3 - "$label" "$json" "$timing" <<'PY'
import json, sys
label, report, timing = sys.argv[1:]
wall, user, system, rss = open(timing).read().split()[-4:]
try:
    r = json.load(open(report))
except ValueError:
    print(f"| {label} | failed | | | |")
    sys.exit()
stages = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r.get("stageSeconds", {}).items()))
print(f"| {label} | {float(wall):.2f} | {float(user) + float(system):.2f} | {int(rss) // 1024} "
      f"| posts {r['posts']}, parsed {r.get('documentsParsed', '?')}, made {r['documentsWritten']}; "
      f"rendered {r['rendered']}, reused {r['reused']}; written {r['written']}; {stages} |")
PY
  rm -f "$json" "$timing"
}

echo "site: $POSTS posts, $IMAGES images ($SITE); $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | wall (s) | CPU (s) | peak RSS (MB) | what it did; stage seconds |"
echo "|---|---:|---:|---:|---|"
if [ ! -d "$SITE/.vignette-cache/renders" ]; then run "cold build" build; fi
run "first build with this binary" build
run "no-op rebuild" build
run "no-op rebuild (again)" build
# sed reads to the end: with pipefail, head's early exit would fail the pipeline (SIGPIPE).
post=$(find "$SITE/content" -name '*.md' | LC_ALL=C sort | sed -n 1p)
printf '\nEdited at %s.\n' "$(date +%s%N)" >>"$post"
run "one post edited" build

if [ -n "$FLAT" ]; then
  echo
  echo "No-op by site size (500 pictures each; cold and first builds not shown):"
  echo
  echo "| run | wall (s) | CPU (s) | peak RSS (MB) | what it did; stage seconds |"
  echo "|---|---:|---:|---:|---|"
  for n in $FLAT; do
    SITE=$WORK/flat-$n
    [ -f "$SITE/pipeline.json" ] || python3 bench/scale-site.py "$SITE" "$n" 500 >/dev/null
    (cd "$SITE" && "$BIN" build --quiet >/dev/null 2>&1 && "$BIN" build --quiet >/dev/null 2>&1) || true
    run "no-op, $n posts" build
  done
fi

if [ "$WATCH_POSTS" -gt 0 ]; then
  echo
  python3 bench/watch-latency.py --binary "$BIN" --posts "$WATCH_POSTS" --rounds 10
fi
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
