#!/usr/bin/env bash
# Site mode's memory against the number of pages (bench/README.md, "site-memory.sh"): the peak
# RSS of the run that rewrites every page (the generator wrote them all afresh, the images are
# in the cache) and of a no-op through every stage, over the generated sites of site-noop.sh
# at 1,000, 4,000 and 10,000 pages (SIZES), for this build and, with BEFORE=path, another
# binary side by side in the same run. What each extra page costs is the slope between the
# smallest and the largest site. Writes bench/site-memory.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
sizes=${SIZES:-1000 4000 10000}
work=${BENCH_DIR:-$repo/bench/work}/site-memory
out=${OUT:-$repo/bench/site-memory.md}
if [ -n "${VIGNETTE:-}" ]; then
  bin=$VIGNETTE
else
  swift build -c release --product vignette >/dev/null
  bin=$repo/.build/release/vignette
fi
binaries=("$bin")
names=("this build")
if [ -n "${BEFORE:-}" ]; then binaries+=("$BEFORE"); names+=("$(basename "$BEFORE")"); fi
mkdir -p "$work"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
declare -A first noop
for pages in $sizes; do
  for i in "${!binaries[@]}"; do
    report=$work/noop-$pages-$i.md
    VIGNETTE=${binaries[$i]} PAGES=$pages REPEAT=1 BENCH_DIR=$work OUT=$report bench/site-noop.sh >/dev/null
    # The report's rows: first run, then the no-op through every stage; column 4 is the peak.
    first[$pages,$i]=$(grep '^| first run' "$report" | awk -F'|' '{ gsub(/ /, "", $5); print $5 }')
    noop[$pages,$i]=$(grep '^| no-op run over' "$report" | awk -F'|' '{ gsub(/ /, "", $5); print $5 }')
  done
done
set -- $sizes
smallest=$1
largest=${!#}
{
  echo "# Site mode's peak memory against the number of pages"
  echo
  echo "\`bench/site-memory.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load ${load_before} before and $(cut -d' ' -f1-3 /proc/loadavg) after;"
  echo "the sites of \`bench/site-noop.sh\` (pages of about 20 KB, 40 pictures, a video every tenth page), one run each, peak RSS (\`/usr/bin/time\`)."
  echo
  header="| pages |"; rule="|---:|"
  for name in "${names[@]}"; do header+=" $name: rewriting every page (MB) | $name: no-op through every stage (MB) |"; rule+="---:|---:|"; done
  echo "$header"; echo "$rule"
  for pages in $sizes; do
    row="| $pages |"
    for i in "${!binaries[@]}"; do row+=" ${first[$pages,$i]} | ${noop[$pages,$i]} |"; done
    echo "$row"
  done
  row="| KB per page, $smallest → $largest |"
  for i in "${!binaries[@]}"; do
    row+=" $(python3 -c "print(round((${first[$largest,$i]} - ${first[$smallest,$i]}) * 1024 / ($largest - $smallest), 2))") |"
    row+=" $(python3 -c "print(round((${noop[$largest,$i]} - ${noop[$smallest,$i]}) * 1024 / ($largest - $smallest), 2))") |"
  done
  echo "$row"
} > "$out"
cat "$out"
