#!/usr/bin/env python3
"""Watch-mode latency: from saving a file to its output being updated.

Copies the example site into a temporary folder (optionally with --posts extra generated
posts, each using the example images), starts `vignette watch`, waits for the first build,
then repeatedly:

  * edits one post the way editors save (write a temporary file, rename it over the post)
    and times until output/content/<post> holds the new text;
  * replaces an image with a different picture (again temp + rename) and times until
    output/manifest.json records the new source hash, i.e. the variants are re-rendered,
    materialized and every post using it rewritten.

Prints the median, min and max of each, in milliseconds. Needs `vips` (libvips-tools) to make
the replacement picture.

    swift build -c release --product vignette
    python3 bench/watch-latency.py --binary .build/release/vignette --rounds 20 --posts 200
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def save(path, data):
    """Saves like most editors: write a temporary file beside it, then rename it over."""
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def wait_for(predicate, deadline_s=30.0):
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        if predicate():
            return True
        time.sleep(0.001)
    return False


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def image_hash(site, source):
    try:
        manifest = json.loads(read(os.path.join(site, "output/manifest.json")))
    except ValueError:
        return None
    for image in manifest.get("images", []):
        if image["source"] == source:
            return image["hash"]
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(REPO, ".build/debug/vignette"))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--posts", type=int, default=0, help="extra generated posts")
    args = parser.parse_args()

    site = tempfile.mkdtemp(prefix="vignette-watch-bench-")
    try:
        shutil.copytree(os.path.join(REPO, "assets"), os.path.join(site, "assets"))
        shutil.copy(os.path.join(REPO, "pipeline.json"), site)
        if os.path.exists(os.path.join(REPO, "vignette.lock.json")):
            shutil.copy(os.path.join(REPO, "vignette.lock.json"), site)
        for n in range(args.posts):
            folder = os.path.join(site, "assets/posts/generated", f"{n // 50:02d}")
            os.makedirs(folder, exist_ok=True)
            picture = "lookBack.png" if n % 2 else "lookBackAlbum.png"
            with open(os.path.join(folder, f"post-{n:04d}.md"), "w") as f:
                f.write(f"---\ntitle: Post {n}\n---\n\n# Post {n}\n\n" + "Some *text*. " * 40 + "\n\n")
                f.write(f'{{{{< figure src="/images/{picture}" alt="Picture {n}" >}}}}\n')
        images = os.path.join(site, "assets/images")
        original = os.path.join(images, "lookBackAlbum.png")
        image_rounds = max(3, args.rounds // 3)
        # A different picture for every round (brightness shifted), so none is in the cache.
        pictures = []
        for round in range(image_rounds):
            shifted = os.path.join(site, f"shifted-{round}.png")
            subprocess.run(["vips", "linear", original, shifted, "1", str(round + 1), "--uchar"], check=True)
            pictures.append(read(shifted))

        process = subprocess.Popen(
            [args.binary, "watch", "--offline", "--config", os.path.join(site, "pipeline.json")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # The first build is over when watch mode says it is watching.
        for line in process.stdout:
            if "watching" in line:
                break
        else:
            sys.exit("vignette watch ended before watching")
        # Keep draining its output so it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()

        post = os.path.join(site, "assets/posts/look-back.md")
        output = os.path.join(site, "output/content/look-back.md")
        text = read(post)
        edits = []
        for round in range(args.rounds):
            marker = f"edit marker {round} {time.time()}".encode()
            save(post, text + b"\n" + marker + b"\n")
            started = time.monotonic()
            if not wait_for(lambda: marker in read(output)):
                sys.exit(f"round {round}: the post's output was not updated")
            edits.append((time.monotonic() - started) * 1000)
            time.sleep(0.15)

        replaces = []
        for round in range(image_rounds):
            before = image_hash(site, "assets/images/lookBackAlbum.png")
            save(original, pictures[round])
            started = time.monotonic()
            if not wait_for(lambda: image_hash(site, "assets/images/lookBackAlbum.png") not in (None, before), 120):
                sys.exit(f"round {round}: the image was not re-rendered")
            replaces.append((time.monotonic() - started) * 1000)
            time.sleep(0.15)

        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=60)

        def line(name, values):
            return (f"{name}: median {statistics.median(values):.0f} ms, min {min(values):.0f} ms, "
                    f"max {max(values):.0f} ms over {len(values)} saves")
        print(f"site: {1 + args.posts} posts, binary {os.path.relpath(args.binary, REPO)}")
        print(line("post edit → output updated", edits))
        print(line("image replace → variants re-rendered, posts rewritten", replaces))
        print(f"watch exited with status {status} after SIGTERM")
    finally:
        shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    main()
