#!/usr/bin/env bash
# Site mode on a generated 1,000-page site (bench/README.md, "site-noop.sh"): the first run
# over fresh pages (images already in the cache, so the time is the HTML work), and the no-op
# run over the rewritten folder (target: at most 0.5 s), beside a floor that only lists the
# folder and stats every page (`find -name '*.html' -printf`), which any tool that notices
# changed pages must do. Writes bench/site-noop.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
pages=${PAGES:-1000}
repeat=${REPEAT:-5}
work=${BENCH_DIR:-$repo/bench/work}/site-noop
# CONFIG=debug measures the debug build (slower: an upper bound) when a release build is out
# of reach; VIGNETTE=path measures that binary instead (built by nobody here, e.g. a copy of
# an older build for a before/after figure). PAGES sets the number of posts (the report is
# bench/site-noop.md at 1,000, bench/site-noop-PAGES.md otherwise); OUT names another report.
config=${CONFIG:-release}
if [ "$pages" = 1000 ]; then out=${OUT:-$repo/bench/site-noop.md}; else out=${OUT:-$repo/bench/site-noop-$pages.md}; fi
if [ -n "${VIGNETTE:-}" ]; then
  bin=$VIGNETTE
  config="$config, $(basename "$bin")"
else
  bin=$repo/.build/$config/vignette
  swift build -c "$config" --product vignette >/dev/null
fi
rm -rf "$work"
mkdir -p "$work"
cd "$work"

# A Hugo-like folder: 1,000 posts of about 12 KB each (head, navigation, article, footer),
# 40 pictures, each post showing two of them (one page-relative, one root-relative), every
# tenth page a YouTube embed in Hugo's wrapper, plus home and list pages.
python3 - "$pages" <<'EOF'
import os, subprocess, sys
pages = int(sys.argv[1])
os.makedirs("public/images", exist_ok=True)
for i in range(40):
    subprocess.run(["vips", "xyz", f"/tmp/vignette-bench-{os.getpid()}.v", str(800 + 8 * i), "500"], check=True)
    subprocess.run(["vips", "extract_band", f"/tmp/vignette-bench-{os.getpid()}.v",
                    f"public/images/p{i:02}.jpg[Q=85]", "0"], check=True)
os.remove(f"/tmp/vignette-bench-{os.getpid()}.v")
nav = "".join(f'<li><a href="/posts/post-{n:04}/">Post {n}</a></li>' for n in range(60))
para = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 12 + "</p>\n"
for n in range(pages):
    folder = f"public/posts/post-{n:04}"
    os.makedirs(folder, exist_ok=True)
    video = ('<div style="position: relative; padding-bottom: 56.25%; height: 0; overflow: hidden;">'
             '<iframe src="https://www.youtube.com/embed/GBl2DSOL7bw" style="position: absolute; top: 0; '
             'left: 0; width: 100%; height: 100%; border:0;" allowfullscreen title="YouTube Video"></iframe></div>'
             if n % 10 == 0 else "")
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Post {n}</title>
<link rel="canonical" href="https://example.com/posts/post-{n:04}/">
<meta property="og:image" content="https://example.com/images/p{n % 40:02}.jpg">
<link rel="stylesheet" href="/css/main.css"><script src="/js/theme.js" defer></script></head>
<body><header><nav><ul>{nav}</ul></nav></header>
<main><article><h1>Post {n}</h1>
{para * 4}<figure><a href="/images/p{n % 40:02}.jpg"><img src="../../images/p{n % 40:02}.jpg" alt="first" loading="lazy"></a>
<figcaption>A caption</figcaption></figure>
{para * 4}<p><img src="/images/p{(n * 7) % 40:02}.jpg#center" alt="second"></p>
{video}
<pre><code>&lt;img src="/images/p00.jpg"&gt;</code></pre>
{para * 3}</article></main><footer>{nav}</footer></body></html>
"""
    with open(folder + "/index.html", "w") as f:
        f.write(html)
with open("public/index.html", "w") as f:
    f.write("<!DOCTYPE html><html><head><title>Home</title></head><body>" + nav + "</body></html>\n")
EOF
cp -r public public.fresh
echo '{"youtube": {"offline": true}}' > pipeline.json
# The video is recorded in the lockfile (as a site's committed one would have it), so no page
# is left with an error to retry.
echo '{"version": 1, "videos": {"GBl2DSOL7bw": {"title": "A video", "author": "someone", "origin": "hand"}}}' > vignette.lock.json
# Warm the image cache once (not measured), then start again from fresh pages.
"$bin" build --site public -q || true
size=$(du -sk public.fresh | cut -f1)

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Wall seconds, CPU seconds (user + system) and peak RSS in KB of one run.
time_run() { /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1 | awk '{ print $1, $2 + $3, $4 }'; }

first=(); first_cpu=(); noop=(); noop_cpu=(); floor=(); rss=(); first_rss=(); again=(); again_cpu=(); again_rss=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq "$repeat"); do
  # The generator writes every page again and leaves the variants, as Hugo does.
  cp -r public.fresh/. public/
  read -r seconds cpu kb < <(time_run "$bin" build --site public -q || true)
  first+=("$seconds"); first_cpu+=("$cpu"); first_rss+=("$kb")
  # Through every stage: the build snapshot the first run took (unless a page the generator
  # wrote just before it was too recent to trust its stamp) is removed. This run takes it
  # again, and the next is answered by it.
  rm -f .vignette-cache/site/snapshot.bin
  read -r seconds cpu kb < <(time_run "$bin" build --site public -q || true)
  noop+=("$seconds"); noop_cpu+=("$cpu"); rss+=("$kb")
  read -r seconds cpu kb < <(time_run "$bin" build --site public -q || true)
  again+=("$seconds"); again_cpu+=("$cpu"); again_rss+=("$kb")
  read -r seconds _ < <(time_run find public -name '*.html' -printf '%s %T@ %p\n')
  floor+=("$seconds")
done
f=$(printf '%s\n' "${first[@]}" | median)
fc=$(printf '%s\n' "${first_cpu[@]}" | median)
fr=$(printf '%s\n' "${first_rss[@]}" | median)
n=$(printf '%s\n' "${noop[@]}" | median)
nc=$(printf '%s\n' "${noop_cpu[@]}" | median)
nr=$(printf '%s\n' "${rss[@]}" | median)
a=$(printf '%s\n' "${again[@]}" | median)
ac=$(printf '%s\n' "${again_cpu[@]}" | median)
ar=$(printf '%s\n' "${again_rss[@]}" | median)
fl=$(printf '%s\n' "${floor[@]}" | median)
fl=$(python3 -c "print(max($fl, 0.01))")
changed=$("$bin" check --site public -q >/dev/null 2>&1 && echo "none" || echo "some (check --site exited 1)")
{
  echo "# Site mode over a generated ${pages}-page site"
  echo
  echo "\`bench/site-noop.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load ${load_before} before and $(cut -d' ' -f1-3 /proc/loadavg) after;"
  echo "${pages} posts + home, $((size / 1024)) MB of HTML, 40 pictures (2 per post), a video every tenth post;"
  echo "median of ${repeat} runs each (\`/usr/bin/time\`, ${config} build)."
  echo
  echo "| run | wall (s) | CPU (s) | peak RSS (MB) | wall ÷ floor |"
  echo "|---|---:|---:|---:|---:|"
  echo "| first run over fresh pages (images cached): parse, rewrite, write | $f | $fc | $((fr / 1024)) | $(python3 -c "print(f'{$f/$fl:.0f}×')") |"
  echo "| no-op run over the rewritten folder, every stage (takes the snapshot) | $n | $nc | $((nr / 1024)) | $(python3 -c "print(f'{$n/$fl:.1f}×')") |"
  echo "| no-op run again, answered by the build snapshot (target ≤ 0.5 s) | $a | $ac | $((ar / 1024)) | $(python3 -c "print(f'{$a/$fl:.1f}×')") |"
  echo "| floor: \`find -name '*.html' -printf '%s %T@ %p'\` | $fl | | | 1 |"
  echo
  echo "Pages still to change after the runs: ${changed}."
} > "$out"
cat "$out"
