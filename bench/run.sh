#!/usr/bin/env bash
# Vignette beside its peers, on the same pictures and the same variants.
#
#   bench/run.sh            # full run; writes bench/results.md
#   SWEEP=0 bench/run.sh    # skip the jobs × libvips-threads sweep
#   PEERS=0 bench/run.sh    # skip vipsthumbnail, ImageMagick and Hugo (Vignette beside the floor only)
#   AVIF=0 bench/run.sh     # skip the AVIF builds (Vignette and floor, and the jobs × AVIF-gate table)
#   AVIF_SWEEP="2x1 2x2x0" bench/run.sh # that table's settings: jobs x AVIF encodes at once
#                                       # [x AVIF memory budget in MB; 0: none; default 360]
#   REPEAT=5 bench/run.sh   # paired rounds per measurement (default 3; the median is kept)
#   VIGNETTE=path RESULTS=file bench/run.sh   # a given vignette binary; results to another file
#
# Corpus: the photos and PNGs of Debian's plasma-workspace-wallpapers (/usr/share/wallpapers,
# images/ and images_dark/ folders; screenshots left out). Workload: widths 480, 960, 1920 in
# WebP q80 and JPEG q80, never upscaled; a source narrower than 1920 also gets its own width
# (Vignette's rule). Every peer is given exactly the variant list Vignette makes.
# The floor: bench/floor.c, Vignette's method (one shrink-on-load decode per source, every
# width resized from it in memory, every format encoded from the resized copy, 2 workers,
# libvips threads 1, cache off) in plain C and nothing else, built here with cc and pkg-config.
# Peers: vipsthumbnail and ImageMagick once per variant through `xargs -P<cores>`, and Hugo
# resizing the set in a template. Each run is timed with GNU time (wall, user+sys, peak RSS;
# for xargs runs the peak is that of the largest single process). Tools are run in paired
# rounds (each round runs every tool once, the order rotating), REPEAT rounds; every figure is
# the median, and the ratios to the floor are medians of the per-round ratios. Every tool's
# output set (names, widths, heights, formats) is checked against Vignette's.
# Needs: swift, and the Debian packages in bench/apt-packages.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${BENCH_DIR:-$repo/bench/work}
cores=$(nproc)
sweep=${SWEEP:-1}
peers=${PEERS:-1}
avif_table=${AVIF:-1}
# jobs × AVIF encodes at once [× memory budget] for the AVIF table ("J G [M]").
read -r -a avif_sweep <<<"${AVIF_SWEEP:-2x1x0 2x2x0 2x2 4x4}"
avif_sweep=("${avif_sweep[@]//x/ }")
results=${RESULTS:-$repo/bench/results.md}
wallpapers=/usr/share/wallpapers

need() { command -v "$1" >/dev/null || { echo "bench: $1 is missing (apt-get install $2)" >&2; exit 2; }; }
need vipsthumbnail libvips-tools
need cc gcc
need pkg-config pkg-config
pkg-config --exists vips libwebpmux || { echo "bench: pkg-config cannot find vips and libwebpmux (apt-get install libvips-dev libwebp-dev)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
# /usr/local/bin/convert may be a stand-in; use Debian's ImageMagick 6 binary by its full name.
magick=/usr/bin/convert-im6.q16
if [ "$peers" = 1 ]; then
  need hugo hugo
  [ -x "$magick" ] || { echo "bench: $magick is missing (apt-get install imagemagick)" >&2; exit 2; }
fi
[ -d "$wallpapers" ] || { echo "bench: $wallpapers is missing (apt-get install plasma-workspace-wallpapers)" >&2; exit 2; }

if [ -n "${VIGNETTE:-}" ]; then
  vignette=$VIGNETTE
else
  echo "bench: building the release binary" >&2
  swift build -c release --product vignette >&2
  vignette=$(swift build -c release --show-bin-path)/vignette
fi

rm -rf "$work"
mkdir -p "$work"/site/assets/images "$work"/site/assets/posts "$work"/hugo/assets/images "$work"/hugo/layouts \
  "$work"/out-vips "$work"/out-magick "$work"/out-floor "$work"/out-floor-avif
echo "bench: building the floor (bench/floor.c)" >&2
# shellcheck disable=SC2046 # pkg-config's flags are meant to split
cc -O2 -o "$work/floor" "$repo/bench/floor.c" $(pkg-config --cflags --libs vips libwebpmux) -lpthread
log=$work/log.txt
: >"$log"

# ---------------------------------------------------------------- corpus
echo "bench: copying the corpus" >&2
post=$work/site/assets/posts/gallery.md
printf -- '---\ntitle: Wallpapers\n---\n\n' >"$post"
count=0
while IFS= read -r file; do
  rel=${file#"$wallpapers"/}
  name=$(echo "$rel" | sed -e 's#/contents/#-#' -e 's#/#-#g')
  cp "$file" "$work/site/assets/images/$name"
  cp "$file" "$work/hugo/assets/images/$name"
  printf '![%s](/images/%s)\n\n' "${name%.*}" "$name" >>"$post"
  count=$((count + 1))
done < <(find "$wallpapers" -path '*/contents/images*/*' -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) | sort)
corpus_mb=$(du -sm "$work/site/assets/images" | cut -f1)

# The variant list, Vignette's rule: configured widths up to the source width, plus the
# source width when it is below the largest configured width.
: >"$work/jobs-vips.txt"
: >"$work/jobs-magick.txt"
variants=0
for src in "$work"/site/assets/images/*; do
  base=$(basename "${src%.*}")
  width=$(vipsheader -f width "$src")
  widths=""
  for w in 480 960 1920; do [ "$w" -le "$width" ] && widths="$widths $w"; done
  [ "$width" -lt 1920 ] && ! echo " $widths " | grep -q " $width " && widths="$widths $width"
  for w in $widths; do
    for ext in webp jpg; do
      opts="Q=80,strip"
      [ "$ext" = jpg ] && opts="Q=80,optimize_coding,strip"
      echo "$src --size ${w}x -o $work/out-vips/$base.$w.$ext[$opts]" >>"$work/jobs-vips.txt"
      echo "$src -resize ${w}x -quality 80 -strip $work/out-magick/$base.$w.$ext" >>"$work/jobs-magick.txt"
      variants=$((variants + 1))
    done
  done
done

cat >"$work/site/pipeline.json" <<'EOF'
{
  "version": 1,
  "content": "assets/posts",
  "assetRoots": ["assets"],
  "output": "output",
  "cache": ".vignette-cache",
  "images": {
    "widths": [480, 960, 1920],
    "formats": ["webp", "jpeg"],
    "quality": {"webp": 80, "jpeg": 80}
  },
  "youtube": {"offline": true}
}
EOF
sed -e 's/"formats": \["webp", "jpeg"\]/"formats": ["avif", "webp", "jpeg"]/' \
  -e 's/"output": "output"/"output": "output-avif"/' -e 's/"cache": ".vignette-cache"/"cache": ".vignette-cache-avif"/' \
  "$work/site/pipeline.json" >"$work/site/pipeline-avif.json"

cat >"$work/hugo/hugo.toml" <<'EOF'
baseURL = "http://example.org/"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404", "section", "page"]
EOF
cat >"$work/hugo/layouts/index.html" <<'EOF'
{{ range resources.Match "images/*" }}{{ $src := . }}
{{ $widths := slice }}{{ range slice 480 960 1920 }}{{ if le . $src.Width }}{{ $widths = $widths | append . }}{{ end }}{{ end }}
{{ if and (lt $src.Width 1920) (not (in $widths $src.Width)) }}{{ $widths = $widths | append $src.Width }}{{ end }}
{{ range $widths }}{{ ($src.Resize (printf "%dx webp q80" .)).RelPermalink }} {{ ($src.Resize (printf "%dx jpg q80" .)).RelPermalink }}
{{ end }}{{ end }}
EOF

# ---------------------------------------------------------------- timing
# runs[LABEL] collects "wall cpu rss;" per run, in round order, so runs of two tools in the same
# round can be paired.
declare -A runs wall cpu rss prep_of cmd_of
repeat=${REPEAT:-3}
# tool LABEL PREPARE COMMAND...: registers a measured command and what to run (untimed) first.
tool() {
  local label=$1 prepare=$2
  shift 2
  prep_of[$label]=$prepare
  cmd_of[$label]=$(printf '%q ' "$@")
}
# once LABEL: PREPARE, then the command under GNU time: wall, user+sys, peak RSS in MB.
once() {
  local label=$1 w u s m c
  ${prep_of[$label]}
  echo "== $label: ${cmd_of[$label]}" >>"$log"
  if ! eval "/usr/bin/time -f '%e %U %S %M' -o $(printf %q "$work/time.txt") ${cmd_of[$label]}" >>"$log" 2>&1; then
    echo "bench: $label failed (see $log)" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  read -r w u s m <"$work/time.txt"
  c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
  echo "bench:   $label: $w s wall, $c s CPU, $((m / 1024)) MB peak (load $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$log" >&2
  runs[$label]+="$w $c $((m / 1024));"
}
# rounds LABEL...: REPEAT rounds, each running every label once; the order rotates from round
# to round so no tool always runs first (or right after the same neighbour).
rounds() {
  local labels=("$@") n=$# round i
  for round in $(seq "$repeat"); do
    echo "bench: round $round of $repeat: ${labels[*]}" >&2
    for i in $(seq 0 $((n - 1))); do once "${labels[$(((i + round - 1) % n))]}"; done
  done
  for label in "$@"; do
    wall[$label]=$(field "$label" 1 | median)
    cpu[$label]=$(field "$label" 2 | median)
    rss[$label]=$(field "$label" 3 | median | awk '{ printf "%.0f", $1 }')
  done
}
# field LABEL N: the Nth figure (1 wall, 2 CPU, 3 peak) of every run of LABEL, one a line.
field() { echo "${runs[$1]}" | tr ';' '\n' | awk -v n="$2" 'NF { print $n }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# paired A B N: the median over rounds of A's figure N divided by B's in the same round.
paired() { paste <(field "$1" "$3") <(field "$2" "$3") | awk '{ printf "%.4f\n", $1 / $2 }' | median | awk '{ printf "%.2f", $1 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
list() { field "$1" "$2" | paste -sd/ -; }

# outputs DIR: every picture under DIR as "name.<width>w.<ext> <width>x<height>", sorted, with
# Vignette's content hash and the peers' ".<width>." spelling normalised away, so the output sets
# of all tools can be compared line by line.
outputs() {
  find "$1" -type f \( -name '*.webp' -o -name '*.jpg' -o -name '*.avif' -o -name '*.png' \) -print0 | sort -z \
    | xargs -0 vipsheader 2>/dev/null \
    | sed -E -e 's#^.*/##' -e 's#: ([0-9]+)x([0-9]+) .*# \1x\2#' -e 's#\.[0-9a-f]{8}\.(webp|jpg|avif|png) #.\1 #' \
      -e 's#\.([0-9]+)\.(webp|jpg|avif|png) #.\1w.\2 #' | sort
}
# same_outputs DIR REFERENCE-LIST: "same" or how many entries differ.
same_outputs() {
  local differ
  differ=$(diff <(outputs "$1") "$2" | grep -c '^[<>]' || true)
  [ "$differ" = 0 ] && echo "same $(wc -l <"$2") outputs, same dimensions" || echo "$differ lines differ from Vignette's"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

images=("$work"/site/assets/images/*)
cold() { rm -rf "$work/site/output" "$work/site/.vignette-cache"; }
cold_avif() { rm -rf "$work/site/output-avif" "$work/site/.vignette-cache-avif"; }
cold_floor() { rm -rf "$work/out-floor" && mkdir -p "$work/out-floor"; }
cold_floor_avif() { rm -rf "$work/out-floor-avif" && mkdir -p "$work/out-floor-avif"; }
cold_hugo() { rm -rf "$work/hugo/resources" "$work/hugo/public" "$work/hugo-cache"; }
cold_vips() { rm -rf "$work/out-vips"/*; }
cold_magick() { rm -rf "$work/out-magick"/*; }
one=$(ls "$work"/site/assets/images/*.jpg | head -1)
# A new picture each time: slightly darker than the last.
change_one() { vips linear "$one" "$work/changed.jpg" 0.98 0 2>/dev/null && mv "$work/changed.jpg" "$one"; }
nothing() { :; }

tool vignette cold "$vignette" build --config "$work/site/pipeline.json" --quiet
tool floor cold_floor "$work/floor" --jobs "$cores" --widths 480,960,1920 --formats webp,jpeg \
  --quality-webp 80 --quality-jpeg 80 --effort-webp 4 "$work/out-floor" "${images[@]}"
tool vipsthumbnail cold_vips xargs -a "$work/jobs-vips.txt" -P"$cores" -L1 vipsthumbnail
tool magick cold_magick xargs -a "$work/jobs-magick.txt" -P"$cores" -L1 "$magick"
tool hugo cold_hugo hugo --quiet -s "$work/hugo" -d "$work/hugo/public" --cacheDir "$work/hugo-cache"
tool noop nothing "$vignette" build --config "$work/site/pipeline.json" --quiet
tool changed change_one "$vignette" build --config "$work/site/pipeline.json" --quiet
tool avif cold_avif "$vignette" build --config "$work/site/pipeline-avif.json" --quiet
tool floor_avif cold_floor_avif "$work/floor" --jobs "$cores" --widths 480,960,1920 --formats avif,webp,jpeg \
  --quality-avif 50 --effort-avif 2 --quality-webp 80 --quality-jpeg 80 --effort-webp 4 \
  --avif-gate $((cores / 2 > 0 ? cores / 2 : 1)) "$work/out-floor-avif" "${images[@]}"

if [ "$peers" = 1 ]; then
  rounds vignette floor vipsthumbnail magick hugo
else
  rounds vignette floor
fi
outputs "$work/site/output/static" >"$work/outputs-vignette.txt"
outputs_v=$(wc -l <"$work/outputs-vignette.txt")
check_floor=$(same_outputs "$work/out-floor" "$work/outputs-vignette.txt")
if [ "$peers" = 1 ]; then
  check_vips=$(same_outputs "$work/out-vips" "$work/outputs-vignette.txt")
  check_magick=$(same_outputs "$work/out-magick" "$work/outputs-vignette.txt")
  hugo_files=$(find "$work/hugo/resources/_gen/images" -type f | wc -l)
fi
rounds noop
rounds changed
if [ "$avif_table" = 1 ]; then
  rounds avif floor_avif
  outputs "$work/site/output-avif/static" >"$work/outputs-vignette-avif.txt"
  check_floor_avif=$(same_outputs "$work/out-floor-avif" "$work/outputs-vignette-avif.txt")
  # Images in flight × AVIF encodes at once, with the default formats' AVIF.
  for setting in "${avif_sweep[@]}"; do
    set -- $setting
    memory=${3:-360}
    [ "$memory" = 0 ] && memory=1000000
    tool "avif-jobs$1-gate$2-mem${3:-360}" cold_avif "$vignette" build --config "$work/site/pipeline-avif.json" \
      --quiet --jobs "$1" --avif-jobs "$2" --avif-memory "$memory"
    rounds "avif-jobs$1-gate$2-mem${3:-360}"
  done
fi

if [ "$sweep" = 1 ]; then
  for setting in "1 1" "1 2" "2 1" "2 2" "4 1"; do
    set -- $setting
    tool "jobs$1-threads$2" cold "$vignette" build --config "$work/site/pipeline.json" --quiet --jobs "$1" --vips-threads "$2"
    rounds "jobs$1-threads$2"
  done
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

bytes_v=$(du -sb "$work/site/output/static" | cut -f1)
bytes_f=$(du -sb "$work/out-floor" | cut -f1)
if [ "$peers" = 1 ]; then
  bytes_t=$(du -sb "$work/out-vips" | cut -f1)
  bytes_m=$(du -sb "$work/out-magick" | cut -f1)
  bytes_h=$(du -sb "$work/hugo/resources/_gen/images" 2>/dev/null | cut -f1 || echo 0)
fi

# ---------------------------------------------------------------- report
row() { # label name
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$2" "${wall[$1]}" "${cpu[$1]}" "${rss[$1]}" \
    "$(paired vignette "$1" 1)" "$(paired vignette "$1" 2)" "$(list "$1" 1) s; $(list "$1" 2) s"
}
{
  echo "# Benchmark results"
  echo
  echo "Produced by \`${BENCH_COMMAND:-bench/run.sh}\` on $(date -u '+%Y-%m-%d %H:%M UTC'): $cores cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "libvips $(vips --version | sed 's/vips-//')$([ "$peers" = 1 ] && echo ", $(hugo version | cut -d' ' -f2), ImageMagick $($magick -version | head -1 | cut -d' ' -f3)")."
  echo "Load average before/after: $load_before / $load_after (the machine may be shared). Each figure is the"
  echo "median of $repeat paired rounds (\`REPEAT=$repeat\`; each round runs every tool of its table once, in rotating"
  echo "order); a ratio is the median of the per-round ratios. The last column lists every round (wall; CPU)."
  echo
  echo "Corpus: $count pictures from plasma-workspace-wallpapers ($corpus_mb MB, 720–5120 px wide, JPEG and PNG)."
  echo "Workload: $variants variants (widths 480/960/1920, never upscaled, plus the source width when narrower; WebP q80 and JPEG q80)."
  echo "Vignette wrote $outputs_v variant files (a WebP larger than the JPEG of the same width is dropped)."
  echo "Output check against Vignette's (names, widths, heights, formats): floor: $check_floor$([ "$peers" = 1 ] && echo "; vipsthumbnail: $check_vips; ImageMagick: $check_magick; Hugo: $hugo_files files")."
  echo
  echo "| Tool | Wall (s) | CPU user+sys (s) | Peak RSS (MB) | Vignette wall ÷ tool | Vignette CPU ÷ tool | Rounds |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  row vignette "Vignette cold build (release)"
  row floor "Floor: bench/floor.c, the same method in C"
  if [ "$peers" = 1 ]; then
    row vipsthumbnail "vipsthumbnail per variant, xargs -P$cores"
    row magick "ImageMagick convert per variant, xargs -P$cores"
    row hugo "Hugo $(hugo version | cut -d' ' -f2) template .Resize"
  fi
  echo
  echo "Output bytes: Vignette $((bytes_v / 1024)) KiB, floor $((bytes_f / 1024)) KiB$([ "$peers" = 1 ] && echo ", vipsthumbnail $((bytes_t / 1024)) KiB, ImageMagick $((bytes_m / 1024)) KiB, Hugo $((bytes_h / 1024)) KiB")."
  [ "$peers" = 1 ] && echo "(xargs runs: peak RSS is the largest single process; $cores run at once.)"
  echo
  echo "| Vignette rebuild | Wall (s) | CPU (s) | Peak RSS (MB) | Rounds |"
  echo "|---|---:|---:|---:|---|"
  echo "| No-op rebuild | ${wall[noop]} | ${cpu[noop]} | ${rss[noop]} | $(list noop 1) s |"
  echo "| One image changed | ${wall[changed]} | ${cpu[changed]} | ${rss[changed]} | $(list changed 1) s |"
  if [ "$avif_table" = 1 ]; then
  echo
  echo "With AVIF added (avif, webp, jpeg; AVIF Q50 effort 2), beside the floor doing the same (at most $((cores / 2 > 0 ? cores / 2 : 1)) AVIF encodes at once); outputs: $check_floor_avif:"
  echo
  echo "| Tool | Wall (s) | CPU (s) | Peak RSS (MB) | Vignette wall ÷ floor | Vignette CPU ÷ floor | Rounds |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  echo "| Vignette cold build with AVIF | ${wall[avif]} | ${cpu[avif]} | ${rss[avif]} | $(paired avif floor_avif 1) | $(paired avif floor_avif 2) | $(list avif 1) s; $(list avif 3) MB |"
  echo "| Floor with AVIF | ${wall[floor_avif]} | ${cpu[floor_avif]} | ${rss[floor_avif]} | | | $(list floor_avif 1) s; $(list floor_avif 3) MB |"
  echo
  echo "Images in flight (\`--jobs\`) × AVIF encodes at once, at most (\`--avif-jobs\`) × predicted AVIF encoder memory in flight"
  echo "(\`--avif-memory\`; none: count only), cold builds with AVIF (median of $repeat):"
  echo
  echo "| jobs | AVIF encodes at once | AVIF memory (MB) | Wall (s) | CPU (s) | Peak RSS (MB) | Rounds |"
  echo "|---:|---:|---:|---:|---:|---:|---|"
  for setting in "${avif_sweep[@]}"; do
    set -- $setting
    l="avif-jobs$1-gate$2-mem${3:-360}"
    echo "| $1 | $2 | $([ "${3:-360}" = 0 ] && echo none || echo "${3:-360}") | ${wall[$l]} | ${cpu[$l]} | ${rss[$l]} | $(list "$l" 1) s; $(list "$l" 3) MB |"
  done
  fi
  echo
  if [ "$peers" = 1 ]; then
    echo "Targets: cold ≤ 0.5× vipsthumbnail wall: $(paired vignette vipsthumbnail 1)×; ≤ 0.25× Hugo wall: $(paired vignette hugo 1)×;"
  else
    echo -n "Targets: "
  fi
  echo "cold ≤ 1.05× the floor: wall $(paired vignette floor 1)×, CPU $(paired vignette floor 2)×; peak ≤ 500 MB: ${rss[vignette]} MB$([ "$avif_table" = 1 ] && echo ", with AVIF ${rss[avif]} MB"); no-op ≤ 0.3 s: ${wall[noop]} s."
  if [ "$sweep" = 1 ]; then
    echo
    echo "Images in flight (\`--jobs\`) × libvips threads per image (\`--vips-threads\`), cold builds:"
    echo
    echo "| jobs | vips threads | Wall (s) | CPU (s) | Peak RSS (MB) |"
    echo "|---:|---:|---:|---:|---:|"
    for setting in "1 1" "1 2" "2 1" "2 2" "4 1"; do
      set -- $setting
      l="jobs$1-threads$2"
      echo "| $1 | $2 | ${wall[$l]} | ${cpu[$l]} | ${rss[$l]} |"
    done
  fi
} >"$results"
cat "$results"
