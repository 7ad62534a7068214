#!/usr/bin/env bash
# The simulated CI matrix at a size the tests do not reach (not part of the tests): a
# generated site (bench/scale-site.py, POSTS posts, IMAGES pictures) built once on one
# machine, then by SHARDS shards in separate copies sharing one nginx WebDAV cache on
# 127.0.0.1, then assembled in another copy. Prints, for each run, wall and CPU seconds and
# what it rendered, downloaded and published, and checks that the assembled output/ is
# byte-identical to the single-machine one. The shards run one after another here; on a CI
# matrix they run at once, so the matrix's wall time is about the slowest shard's.
#
#   swift build -c release --product vignette
#   POSTS=300 IMAGES=600 SHARDS=4 bench/shard-matrix.sh
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS=${POSTS:-300}
IMAGES=${IMAGES:-600}
SHARDS=${SHARDS:-4}
BIN=${BIN:-.build/release/vignette}
[ -x "$BIN" ] || { echo "shard-matrix: build the release binary first" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
WORK=$(mktemp -d)
trap '[ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; rm -rf "$WORK"' EXIT

python3 bench/scale-site.py "$WORK/site" "$POSTS" "$IMAGES" >/dev/null
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/store" "$WORK/tmp" "$WORK/logs"
user=""; [ "$(id -u)" -eq 0 ] && user="user root;"
cat >"$WORK/nginx.conf" <<CONF
$user
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  client_max_body_size 256m;
  server {
    listen 127.0.0.1:$PORT;
    root $WORK/store;
    location / { dav_methods PUT; create_full_put_path on; }
  }
}
CONF
nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/logs/error.log"
URL=http://127.0.0.1:$PORT

run() { # label, folder, vignette arguments
  local label=$1 folder=$2; shift 2
  (cd "$folder" && /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$BIN" "$@" --json >"$WORK/report.json" 2>/dev/null) || true
  python3 - "$label" "$WORK/report.json" "$WORK/time" <<'PY'
import json, sys
label, report, timing = sys.argv[1:]
wall, user, system = open(timing).read().split()[-3:]
r = json.load(open(report))
print(f"| {label} | {float(wall):.1f} | {float(user) + float(system):.1f} | {r['rendered']} | {r.get('downloaded', 0)} "
      f"| {r.get('uploaded', 0)} | {r['warnings']} |")
PY
}

echo "$POSTS posts, $IMAGES pictures, $SHARDS shards; $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | wall (s) | CPU (s) | encoded | downloaded | published | warnings |"
echo "|---|---:|---:|---:|---:|---:|---:|"
cp -r "$WORK/site" "$WORK/single"
run "single machine" "$WORK/single" build
for k in $(seq 1 "$SHARDS"); do
  cp -r "$WORK/site" "$WORK/shard$k"
  run "shard $k/$SHARDS" "$WORK/shard$k" build --shard "$k/$SHARDS" --remote-cache "$URL"
done
cp -r "$WORK/site" "$WORK/assemble"
run "assemble" "$WORK/assemble" build --remote-cache "$URL"
echo
if diff -r "$WORK/single/output" "$WORK/assemble/output" >/dev/null; then
  echo "assembled output/ is byte-identical to the single-machine build ($(find "$WORK/assemble/output" -type f | wc -l) files)"
else
  echo "assembled output/ DIFFERS from the single-machine build"
  exit 1
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
