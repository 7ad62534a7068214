"""The example site, built by the real `vignette` binary into a temporary copy, and the two
loopback servers the browser checks need: a stand-in for YouTube's oEmbed and thumbnail hosts
(used only while building) and a static server for the output (used by the browser)."""
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A second post so the facade's start time is checked too.
START_TIME_POST = """+++
date = '2025-09-08'
title = 'Start Time'
+++

The facade below starts the video at 42 seconds.

{{< youtube id=GBl2DSOL7bw start=42 >}}
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class Server:
    """A threaded HTTP server on 127.0.0.1 with a free port, stopped by `close()`."""

    def __init__(self, handler):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


IMAGE_SUFFIXES = (".avif", ".webp", ".jpg", ".jpeg", ".png", ".gif", ".svg")

# What a careful site sends: no inline script or event handler (`onload="…"` included), no
# plugins, images from the site or data: URLs, frames only from the privacy-enhanced player.
# Inline styles stay allowed (placeholders are a `style` attribute, the pages a <style>).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-src https://www.youtube-nocookie.com; object-src 'none'; base-uri 'none'")


def static_server(root, delay=0.0, delayed=lambda path: path.startswith("/static/"), csp=None):
    """Serves `root`, with `csp` as its Content-Security-Policy header when given. `delay`
    holds back every image (each path `delayed` accepts) so the page paints its text first
    and any space not reserved for an image shows up as a layout shift when it arrives. Every
    request path is recorded with its status in `statuses`."""
    requests = []
    statuses = []

    class Handler(_QuietHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def end_headers(self):
            if csp:
                self.send_header("Content-Security-Policy", csp)
            super().end_headers()

        def do_GET(self):
            requests.append(self.path)
            if self.path == "/favicon.ico":  # the host's business, not the page's: no 404 in the console
                self.send_response(204)
                self.end_headers()
                return
            if delay and delayed(self.path):
                time.sleep(delay)
            super().do_GET()

        def send_response(self, code, message=None):
            statuses.append((self.path, code))
            super().send_response(code, message)

    server = Server(Handler)
    server.requests = requests
    server.statuses = statuses
    return server


def fake_youtube(thumbnails):
    """Answers oEmbed (`…/oembed?url=…watch?v=ID`) and thumbnail (`…/ID/NAME.jpg`) requests
    the way YouTube does, from local JPEGs; `thumbnails` maps a thumbnail name to a file."""
    requests = []

    class Handler(_QuietHandler):
        def do_GET(self):
            requests.append(self.path)
            url = urllib.parse.urlsplit(self.path)
            if url.path.rstrip("/").endswith("oembed"):
                target = urllib.parse.parse_qs(url.query).get("url", [""])[0]
                video = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query).get("v", [""])[0]
                if not video:
                    return self.send_error(400)
                body = json.dumps({
                    "title": f"Test video {video}", "author_name": "Vignette tests",
                    "author_url": "https://www.youtube.com/@vignette-tests", "type": "video",
                    "height": 113, "width": 200, "version": "1.0", "provider_name": "YouTube",
                    "provider_url": "https://www.youtube.com/", "thumbnail_height": 360,
                    "thumbnail_width": 480, "thumbnail_url": f"{server.origin}/vi/{video}/hqdefault.jpg",
                    "html": f"<iframe width=\"200\" height=\"113\" src=\"https://www.youtube.com/embed/{video}?feature=oembed\"></iframe>",
                }).encode()
                return self._send(200, "application/json", body)
            name = url.path.rsplit("/", 1)[-1].split(".")[0]
            if url.path.endswith(".jpg") and name in thumbnails:
                return self._send(200, "image/jpeg", Path(thumbnails[name]).read_bytes())
            self.send_error(404)

        def _send(self, status, kind, body):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = Server(Handler)
    server.requests = requests
    return server


def artifacts_folder(name):
    """.test-artifacts/NAME (or under $VIGNETTE_TEST_ARTIFACTS), created."""
    folder = Path(os.environ.get("VIGNETTE_TEST_ARTIFACTS") or REPO / ".test-artifacts") / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def vignette_binary():
    binary = Path(os.environ.get("VIGNETTE") or REPO / ".build" / "debug" / "vignette")
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"{binary} not found: run `swift build --product vignette` (Tests/browser/run.sh does)")
    return binary


def make_thumbnails(folder):
    """YouTube's thumbnail sizes, cut from the example's own artwork with the `vips` tool."""
    source = REPO / "assets" / "images" / "lookBackAlbum.png"  # not the post's first figure, so posters stand out
    sizes = {"maxresdefault": (1280, 720), "sddefault": (640, 480), "hqdefault": (480, 360)}
    files = {}
    for name, (width, height) in sizes.items():
        path = folder / f"{name}.jpg"
        subprocess.run(
            ["vips", "thumbnail", str(source), str(path), str(width), "--height", str(height), "--crop", "centre"],
            check=True, capture_output=True)
        files[name] = path
    return files


def build_example(workdir):
    """Copies the example site into `workdir`, adds the start-time post, points YouTube at a
    loopback stand-in and runs `vignette build`. Returns (output folder, build output)."""
    workdir = Path(workdir)
    shutil.copytree(REPO / "assets", workdir / "assets")
    (workdir / "assets" / "posts" / "start-time.md").write_text(START_TIME_POST)
    thumbs = workdir / "thumbnails"
    thumbs.mkdir()
    youtube = fake_youtube(make_thumbnails(thumbs))
    try:
        config = json.loads((REPO / "pipeline.json").read_text())
        config.pop("$schema", None)
        config["output"] = "output"
        config["cache"] = ".vignette-cache"
        config["youtube"].update({
            "oembed": f"{youtube.origin}/oembed", "thumbnails": f"{youtube.origin}/vi",
            "lockfile": "vignette.lock.json", "offline": False})
        (workdir / "pipeline.json").write_text(json.dumps(config, indent=2))
        run = subprocess.run(
            [str(vignette_binary()), "build", "--config", str(workdir / "pipeline.json")],
            cwd=workdir, capture_output=True, text=True, timeout=600)
    finally:
        youtube.close()
    if run.returncode != 0:
        raise RuntimeError(f"vignette build failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    return workdir / "output", run.stdout + run.stderr
