"""What a reader's browser does with the generated pages: the right image candidate at each
viewport and pixel ratio, nothing shifting while images load, nothing sent to YouTube or
Google before a video is clicked, the privacy-enhanced player after the click, and no
console errors. Run with Tests/browser/run.sh."""
import re
import struct
import urllib.parse

import pytest

from conftest import HEIGHT, PAGES, page_url
from page import Visit, parse_srcset


# Smaller files first: what "the best format the browser supports" means here, whatever the
# order of the <source> elements.
BEST_FIRST = ("image/avif", "image/webp")


def rank(kind):
    return BEST_FIRST.index(kind) if kind in BEST_FIRST else len(BEST_FIRST)


def describe(picture):
    img = picture["img"] or {}
    return f"picture {picture['index']} ({(img.get('currentSrc') or img.get('src') or '?').rsplit('/', 1)[-1]})"


def test_every_page_is_checked(built_site):
    written = sorted(p.stem for p in (built_site / "html").glob("*.html"))
    assert written == sorted(PAGES), "the build writes other pages than PAGES in Tests/browser/conftest.py lists"


# Viewport checks: one visit per page × width × pixel ratio (the `visit` fixture), several checks each.

def test_every_picture_loads(visit):
    least = PAGES[visit.name]
    assert len(visit.pictures) >= least, f"expected at least {least} <picture>, found {len(visit.pictures)}"
    for picture in visit.pictures:
        img = picture["img"]
        assert img, f"picture {picture['index']} has no <img>"
        assert picture["outcome"] in ("load", "complete") and img["complete"] and img["naturalWidth"] > 0, \
            f"{describe(picture)} did not load: {picture['outcome']}, naturalWidth {img['naturalWidth']}"


def test_current_src_is_the_smallest_sufficient_candidate_in_the_best_format(visit, site_config):
    pictures = [p for p in visit.pictures if p["img"]]
    # Which formats this browser decodes, probed with the smallest file of each <source>.
    probes = {}
    for picture in pictures:
        for source in picture["sources"]:
            candidates = parse_srcset(source["srcset"])
            if candidates and source["type"] not in probes:
                smallest = min(candidates, key=lambda c: c[1] or 0)[0]
                probes[source["type"]] = urllib.parse.urljoin(visit.url, smallest)
    decodable = visit.decode(probes.values())
    supported = {kind for kind, url in probes.items() if decodable.get(url)}
    if "avif" in site_config["images"]["formats"] and pictures:
        assert "image/avif" in probes, "the config asks for AVIF but no <source type=\"image/avif\"> was written"
        assert "image/avif" in supported, "Chromium could not decode the AVIF variants"

    problems = []
    chosen_urls = []
    for picture in pictures:
        img = picture["img"]
        usable = [s for s in picture["sources"] if s["mediaMatches"] and s["type"] in supported]
        source = min(usable, key=lambda s: rank(s["type"]), default=None)
        srcset = source["srcset"] if source else img["srcset"]
        kind = source["type"] if source else "the <img> fallback"
        candidates = [(urllib.parse.urljoin(visit.url, url), width) for url, width in parse_srcset(srcset)]
        if not candidates:
            assert img["currentSrc"] == urllib.parse.urljoin(visit.url, img["src"]), describe(picture)
            continue
        assert all(width for _, width in candidates), f"{describe(picture)}: srcset without w descriptors: {srcset}"
        widths = sorted(width for _, width in candidates)
        needed = img["renderedWidth"] * visit.dpr
        expected = next((w for w in widths if w >= needed - 0.01), widths[-1])
        loaded = dict(candidates).get(img["currentSrc"])
        if loaded is None:
            problems.append(f"{describe(picture)}: currentSrc {img['currentSrc']} is not a candidate of {kind} "
                            f"(supported: {sorted(supported)})")
            continue
        chosen_urls.append((picture, img["currentSrc"], loaded))
        visit.findings.setdefault("pictures", []).append({
            "file": img["currentSrc"].rsplit("/", 1)[-1], "type": kind, "rendered": img["renderedWidth"],
            "needed": needed, "expected": expected, "loaded": loaded, "candidates": widths})
        if loaded != expected:
            problems.append(
                f"{describe(picture)}: rendered {img['renderedWidth']:g}px × {visit.dpr} = {needed:g} device px "
                f"needs the {expected}w candidate of {widths}, the browser loaded {loaded}w (sizes=\"{img['sizes']}\")")
    # The `w` descriptor of each loaded candidate is the file's real width.
    sizes = visit.decode(url for _, url, _ in chosen_urls)
    for picture, url, width in chosen_urls:
        actual = sizes.get(url)
        if not actual or actual[0] != width:
            problems.append(f"{describe(picture)}: {url} is described as {width}w but decodes to {actual}")
    assert not problems, "\n".join(problems)


def test_nothing_shifts_while_images_load(visit):
    total = sum(entry["value"] for entry in visit.shifts)
    assert total == 0, f"layout shift {total:.4f}: {visit.shifts}"


def test_no_console_errors(visit):
    assert visit.console_errors() == []


def test_nothing_breaks_the_content_security_policy(visit):
    # Served with script-src 'self': an inline onload="…" or <script> would be blocked here.
    assert visit.csp_violations() == []


def test_no_inline_script_or_event_handler_in_any_page(built_site):
    for page in (built_site / "html").glob("*.html"):
        html = page.read_text()
        handlers = re.findall(r"\s(on[a-z]+)\s*=", html, flags=re.I)
        inline = re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html, flags=re.I)
        assert handlers == [] and inline == [], f"{page.name}: inline script {handlers + inline}"


def test_nothing_leaves_the_machine_without_a_click(visit):
    assert visit.tracking_requests() == [], "requests to YouTube or Google before any click"
    assert visit.foreign_requests() == [], "requests to hosts other than 127.0.0.1"


# The YouTube facade: nothing from YouTube until a click, then the privacy-enhanced player.

@pytest.mark.parametrize("page,index,video,start,keyboard", [
    ("look-back", 0, "qnY9NL0E5ZM", None, False),
    ("look-back", 1, "GBl2DSOL7bw", None, False),
    ("start-time", 0, "GBl2DSOL7bw", "42", False),
    ("start-time", 0, "GBl2DSOL7bw", "42", True),
], ids=["look-back-first", "look-back-second", "start-42", "start-42-enter-key"])
def test_facade_loads_the_nocookie_player_only_when_clicked(browser, server, page, index, video, start, keyboard):
    visit = Visit(browser, page_url(server, page), 1440, HEIGHT, 1)
    try:
        visit.load_pictures()  # posters included
        facades = visit.facades()
        assert len(facades) > index, f"{page}: expected a facade link a[data-vignette-video] #{index}, found {facades}"
        assert facades[index]["id"] == video
        assert visit.tracking_requests() == [], "requests to YouTube or Google before the click"

        src = visit.click_facade(index, keyboard=keyboard)
        assert src, f"no iframe appeared after {'pressing Enter on' if keyboard else 'clicking'} the facade"
        url = urllib.parse.urlsplit(src)
        query = urllib.parse.parse_qs(url.query)
        assert url.scheme == "https" and url.hostname in ("www.youtube-nocookie.com", "youtube-nocookie.com"), src
        assert url.path == f"/embed/{video}", src
        assert query.get("start") == ([start] if start else None), src
        # The browser really asked for that player (the test answered with a stub page).
        asked = visit.wait_for_request(lambda r: r["clicked"] and r["url"].split("?")[0] == src.split("?")[0])
        assert asked, f"no request for {src} after the click: {visit.requests}"
        # Nothing but the player itself, and only after the click.
        foreign = visit.foreign_requests()
        assert all(r["clicked"] and r["host"].endswith("youtube-nocookie.com") for r in foreign), foreign
        assert visit.console_errors() == []
    finally:
        visit.close()


# The screenshot a person can look at.

def test_screenshot_of_the_example_post(browser, server, artifacts):
    visit = Visit(browser, page_url(server, "look-back"), 1440, HEIGHT, 1)
    try:
        visit.load_pictures()
        path = visit.screenshot(artifacts / "look-back-1440x900.png")
        visit.screenshot(artifacts / "look-back-1440-full.png", full_page=True)
    finally:
        visit.close()
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1440, HEIGHT)
