#!/usr/bin/env bash
# AVIF effort and quality against time, bytes and PSNR, to choose `images.effort.avif` and
# `images.quality.avif` by measurement.
#
#   bench/avif-effort.sh        # after bench/run.sh (uses its corpus copy); writes bench/avif-effort.md
#
# Encodes the same pre-resized pictures (every corpus image at 960 and 1920 px wide, already
# decoded to .v so only the encoder is timed) with libvips' heifsave (AV1, Q50, strip) at each
# effort, one process at a time, and sums CPU time (user+sys) and output bytes. Quality is the
# mean PSNR of each decoded AVIF against its input (higher is better; ~1 dB is visible).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${BENCH_DIR:-$repo/bench/work}
quality=${QUALITY:-50}
efforts=${EFFORTS:-"0 1 2 3 4"}
# The quality sweep runs at the default effort.
effort_for_qualities=${EFFORT:-2}
qualities=${QUALITIES:-"35 40 45 50 55 60 70"}
[ -d "$work/site/assets/images" ] || { echo "avif-effort: run bench/run.sh first" >&2; exit 2; }
dir=$work/avif
rm -rf "$dir"
mkdir -p "$dir/in" "$dir/out"
for src in "$work"/site/assets/images/*; do
  base=$(basename "${src%.*}")
  for w in 960 1920; do
    [ "$(vipsheader -f width "$src" 2>/dev/null)" -ge "$w" ] || continue
    vipsthumbnail "$src" --size "${w}x" -o "$dir/in/$base.$w.v" 2>/dev/null
  done
done
pictures=$(ls "$dir/in" | wc -l)
out_md="$repo/bench/avif-effort.md"
{
  echo "# AVIF effort and quality: time against bytes"
  echo
  echo "Produced by \`bench/avif-effort.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), libvips $(vips --version | sed 's/vips-//'), $(nproc) cores."
  echo "$pictures pictures (the corpus at 960 and 1920 px wide), heifsave AV1, one at a time."
  echo "PSNR: mean over the pictures of each decoded AVIF against its input (higher is better)."
} >"$out_md"

# measure EFFORT QUALITY LABEL: encodes every picture, prints one table row; "first" is the
# byte count the rows of one table are compared with.
first=""
measure() {
  rm -f "$dir/out"/*
  /usr/bin/time -f '%U %S' -o "$dir/time.txt" sh -c '
    for f in "$1"/in/*.v; do
      vips heifsave "$f" "$2/out/$(basename "$f" .v).avif" --compression av1 --effort "$3" -Q "$4" --strip || exit 1
    done' sh "$dir" "$dir" "$1" "$2"
  read -r u s <"$dir/time.txt"
  cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.1f", u + s }')
  bytes=$(du -sb "$dir/out" | cut -f1)
  [ -n "$first" ] || first=$bytes
  per=$(awk -v c="$cpu" -v n="$pictures" 'BEGIN { printf "%.0f", 1000 * c / n }')
  rel=$(awk -v b="$bytes" -v f="$first" 'BEGIN { printf "%+.1f%%", 100 * (b - f) / f }')
  psnr=$(for f in "$dir"/in/*.v; do
    out="$dir/out/$(basename "$f" .v).avif"
    vips subtract "$f" "$out" "$dir/diff.v" && vips multiply "$dir/diff.v" "$dir/diff.v" "$dir/sq.v" &&
      vips avg "$dir/sq.v"
  done 2>/dev/null | awk '{ n++; if ($1 > 0) s += 10 * log(255 * 255 / $1) / log(10); else s += 99 } END { printf "%.2f", s / n }')
  echo "| $3 | $cpu | $per | $((bytes / 1024)) | $rel | $psnr |" | tee -a "$out_md"
}

{
  echo
  echo "## Effort, at Q$quality"
  echo
  echo "| effort | CPU (s) | per picture (ms) | bytes (KiB) | bytes vs the first row | mean PSNR (dB) |"
  echo "|---:|---:|---:|---:|---:|---:|"
} >>"$out_md"
for effort in $efforts; do measure "$effort" "$quality" "$effort"; done

first=""
{
  echo
  echo "## Quality, at effort $effort_for_qualities"
  echo
  echo "| quality | CPU (s) | per picture (ms) | bytes (KiB) | bytes vs the first row | mean PSNR (dB) |"
  echo "|---:|---:|---:|---:|---:|---:|"
} >>"$out_md"
for q in $qualities; do measure "$effort_for_qualities" "$q" "$q"; done
