#!/usr/bin/env bash
# Vignette beside its peers, on the same pictures and the same variants.
#
#   bench/run.sh            # full run; writes bench/results.md
#   SWEEP=0 bench/run.sh    # skip the jobs × libvips-threads sweep
#   REPEAT=3 bench/run.sh   # runs per measurement (default 2; the fastest is kept)
#
# Corpus: the photos and PNGs of Debian's plasma-workspace-wallpapers (/usr/share/wallpapers,
# images/ and images_dark/ folders; screenshots left out). Workload: widths 480, 960, 1920 in
# WebP q80 and JPEG q80, never upscaled; a source narrower than 1920 also gets its own width
# (Vignette's rule). Every peer is given exactly the variant list Vignette makes.
# Peers: vipsthumbnail and ImageMagick once per variant through `xargs -P<cores>`, and Hugo
# resizing the set in a template. Each run is timed with GNU time (wall, user+sys, peak RSS;
# for xargs runs the peak is that of the largest single process).
# Needs: swift, and the Debian packages in bench/apt-packages.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${BENCH_DIR:-$repo/bench/work}
cores=$(nproc)
sweep=${SWEEP:-1}
results=$repo/bench/results.md
wallpapers=/usr/share/wallpapers

need() { command -v "$1" >/dev/null || { echo "bench: $1 is missing (apt-get install $2)" >&2; exit 2; }; }
need vipsthumbnail libvips-tools
need hugo hugo
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
# /usr/local/bin/convert may be a stand-in; use Debian's ImageMagick 6 binary by its full name.
magick=/usr/bin/convert-im6.q16
[ -x "$magick" ] || { echo "bench: $magick is missing (apt-get install imagemagick)" >&2; exit 2; }
[ -d "$wallpapers" ] || { echo "bench: $wallpapers is missing (apt-get install plasma-workspace-wallpapers)" >&2; exit 2; }

echo "bench: building the release binary" >&2
swift build -c release --product vignette >&2
vignette=$(swift build -c release --show-bin-path)/vignette

rm -rf "$work"
mkdir -p "$work"/site/assets/images "$work"/site/assets/posts "$work"/hugo/assets/images "$work"/hugo/layouts \
  "$work"/out-vips "$work"/out-magick
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
declare -A wall cpu rss
repeat=${REPEAT:-2}
# measure LABEL PREPARE COMMAND...: runs PREPARE (untimed), then the command under GNU time,
# REPEAT times; keeps the run with the lowest wall time (wall, user+sys, peak RSS in MB), the
# usual way to filter out other work on a shared machine. Every tool gets the same treatment.
measure() {
  local label=$1 prepare=$2 best=""
  shift 2
  echo "bench: $label" >&2
  for _ in $(seq "$repeat"); do
    $prepare
    echo "== $label: $*" >>"$log"
    if ! /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$@" >>"$log" 2>&1; then
      echo "bench: $label failed (see $log)" >&2
      tail -5 "$log" >&2
      exit 1
    fi
    read -r w u s m <"$work/time.txt"
    echo "bench:   $w s wall, $u+$s s CPU, $((m / 1024)) MB peak" | tee -a "$log" >&2
    if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$w
      wall[$label]=$w
      cpu[$label]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
      rss[$label]=$(awk -v m="$m" 'BEGIN { printf "%.0f", m / 1024 }')
    fi
  done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

vbuild=("$vignette" build --config "$work/site/pipeline.json" --quiet)
cold() { rm -rf "$work/site/output" "$work/site/.vignette-cache"; }
cold_avif() { rm -rf "$work/site/output-avif" "$work/site/.vignette-cache-avif"; }
cold_hugo() { rm -rf "$work/hugo/resources" "$work/hugo/public" "$work/hugo-cache"; }
cold_vips() { rm -rf "$work/out-vips"/*; }
cold_magick() { rm -rf "$work/out-magick"/*; }
one=$(ls "$work"/site/assets/images/*.jpg | head -1)
# A new picture each time: slightly darker than the last.
change_one() { vips linear "$one" "$work/changed.jpg" 0.98 0 2>/dev/null && mv "$work/changed.jpg" "$one"; }
nothing() { :; }

measure vignette cold "${vbuild[@]}"
outputs=$(find "$work/site/output/static" -type f | wc -l)
measure noop nothing "${vbuild[@]}"
measure changed change_one "${vbuild[@]}"
measure avif cold_avif "$vignette" build --config "$work/site/pipeline-avif.json" --quiet
measure vipsthumbnail cold_vips xargs -a "$work/jobs-vips.txt" -P"$cores" -L1 vipsthumbnail
measure magick cold_magick xargs -a "$work/jobs-magick.txt" -P"$cores" -L1 "$magick"
measure hugo cold_hugo hugo --quiet -s "$work/hugo" -d "$work/hugo/public" --cacheDir "$work/hugo-cache"

if [ "$sweep" = 1 ]; then
  for setting in "1 1" "1 2" "2 1" "2 2" "4 1"; do
    set -- $setting
    measure "jobs$1-threads$2" cold "${vbuild[@]}" --jobs "$1" --vips-threads "$2"
  done
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

bytes_v=$(du -sb "$work/site/output/static" | cut -f1)
bytes_t=$(du -sb "$work/out-vips" | cut -f1)
bytes_m=$(du -sb "$work/out-magick" | cut -f1)
bytes_h=$(du -sb "$work/hugo/resources/_gen/images" 2>/dev/null | cut -f1 || echo 0)

# ---------------------------------------------------------------- report
row() { # label name
  printf '| %s | %s | %s | %s | %s | %s |\n' "$2" "${wall[$1]}" "${cpu[$1]}" "${rss[$1]}" \
    "$(ratio "${wall[vignette]}" "${wall[$1]}")" "$(ratio "${cpu[vignette]}" "${cpu[$1]}")"
}
{
  echo "# Benchmark results"
  echo
  echo "Produced by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'): $cores cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "libvips $(vips --version | sed 's/vips-//'), $(hugo version | cut -d' ' -f2), ImageMagick $($magick -version | head -1 | cut -d' ' -f3)."
  echo "Load average before/after: $load_before / $load_after (the machine may be shared). Each figure is the"
  echo "fastest of $repeat runs (\`REPEAT=$repeat\`), for every tool alike."
  echo
  echo "Corpus: $count pictures from plasma-workspace-wallpapers ($corpus_mb MB, 720–5120 px wide, JPEG and PNG)."
  echo "Workload: $variants variants (widths 480/960/1920, never upscaled, plus the source width when narrower; WebP q80 and JPEG q80)."
  echo "Vignette wrote $outputs variant files (a WebP larger than the JPEG of the same width is dropped)."
  echo
  echo "| Tool | Wall (s) | CPU user+sys (s) | Peak RSS (MB) | Vignette wall ÷ tool | Vignette CPU ÷ tool |"
  echo "|---|---:|---:|---:|---:|---:|"
  row vignette "Vignette cold build (release)"
  row vipsthumbnail "vipsthumbnail per variant, xargs -P$cores"
  row magick "ImageMagick convert per variant, xargs -P$cores"
  row hugo "Hugo $(hugo version | cut -d' ' -f2) template .Resize"
  echo
  echo "Output bytes: Vignette $((bytes_v / 1024)) KiB, vipsthumbnail $((bytes_t / 1024)) KiB, ImageMagick $((bytes_m / 1024)) KiB, Hugo $((bytes_h / 1024)) KiB."
  echo "(xargs runs: peak RSS is the largest single process; $cores run at once.)"
  echo
  echo "| Vignette rebuild | Wall (s) | CPU (s) | Peak RSS (MB) |"
  echo "|---|---:|---:|---:|"
  echo "| No-op rebuild | ${wall[noop]} | ${cpu[noop]} | ${rss[noop]} |"
  echo "| One image changed | ${wall[changed]} | ${cpu[changed]} | ${rss[changed]} |"
  echo "| Cold build with AVIF added (avif, webp, jpeg; default quality/effort) | ${wall[avif]} | ${cpu[avif]} | ${rss[avif]} |"
  echo
  echo "Targets: cold ≤ 0.5× vipsthumbnail wall: $(ratio "${wall[vignette]}" "${wall[vipsthumbnail]}")×;" \
    "≤ 0.25× Hugo wall: $(ratio "${wall[vignette]}" "${wall[hugo]}")×; peak ≤ 500 MB: ${rss[vignette]} MB; no-op ≤ 0.3 s: ${wall[noop]} s."
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
