"""The browser checks on a real theme: Stack's example site (Tests/themes/stack), built with
hugo and then `vignette build --site public`, next to the same site as hugo alone wrote it,
both served from 127.0.0.1 with images held back. Per page and viewport: nothing shifts while
images load, every <picture> loads the candidate its markup selects (the HTML standard's
rule, computed by Tests/themes/sitecheck.py, at that viewport and pixel ratio, in the best
format Chromium decodes), no console errors the plain site did not have, no request failing
that did not fail before, no request to another host that the plain site did not make, and
nothing to YouTube before a click (the theme's own web-font request to Google stays)."""
import shutil
import sys
import urllib.parse

import pytest

import example_site
from conftest import HEIGHT, IMAGE_DELAY
from page import Visit, parse_srcset

sys.path.insert(0, str(example_site.REPO / "Tests" / "themes"))
import sitecheck  # noqa: E402
import themesite  # noqa: E402

# The home page (covers, avatar), a post with a cover, the gallery post, the post with a video.
THEMED_PAGES = ["", "p/markdown-syntax-guide/", "zh-cn/p/test-chinese/", "p/rich-content/"]
THEMED_VIEWPORTS = [(375, 2), (1440, 1)]


def is_image(path):
    return urllib.parse.urlsplit(path).path.lower().endswith(example_site.IMAGE_SUFFIXES)


@pytest.fixture(scope="session")
def themed(tmp_path_factory):
    """{"before": server, "after": server} for Stack's site without and with Vignette."""
    if not themesite.supports_site_mode():
        pytest.skip("this vignette has no `build --site` yet (issue 10's site engine)")
    work = tmp_path_factory.mktemp("themed")
    site = themesite.copy_site("stack", work)
    public = themesite.hugo(site)
    before = work / "before"
    shutil.copytree(public, before)
    youtube = themesite.YouTube(work)
    try:
        run = themesite.vignette_site(site, youtube)
    finally:
        youtube.close()
    assert run.returncode == 0, run.stdout + run.stderr
    servers = {
        "before": example_site.static_server(before, delay=IMAGE_DELAY, delayed=is_image),
        "after": example_site.static_server(public, delay=IMAGE_DELAY, delayed=is_image),
    }
    yield servers
    for server in servers.values():
        server.close()


def open_page(browser, server, path, width, dpr):
    """A visit with its pictures loaded, its layout shifts, and the requests the server failed."""
    mark = len(server.statuses)
    visit = Visit(browser, f"{server.origin}/{path}", width, HEIGHT, dpr)
    visit.width, visit.dpr = width, dpr
    visit.pictures = visit.load_pictures()
    visit.shifts = visit.layout_shifts()
    visit.failed = {p for p, status in server.statuses[mark:] if status >= 400}
    return visit


@pytest.fixture(scope="module", params=[(p, w, d) for p in THEMED_PAGES for w, d in THEMED_VIEWPORTS],
                ids=lambda v: f"stack-{v[0].strip('/').replace('/', '-') or 'home'}-{v[1]}px@{v[2]}x")
def themed_visits(request, browser, themed):
    path, width, dpr = request.param
    before = open_page(browser, themed["before"], path, width, dpr)
    after = open_page(browser, themed["after"], path, width, dpr)
    yield before, after
    before.close()
    after.close()


# Stack's sidebar switches (language, dark mode; no image in or above them) move by a
# fraction of a pixel now and then on a loaded machine, from the theme's own script, with or
# without Vignette: such an entry is not counted. Every other shift is.
THEME_SHIFTS = ({"DIV.menu-bottom-section"}, 0.001)


def test_themed_nothing_shifts(themed_visits):
    _, after = themed_visits
    counted = [e for e in after.shifts if not (set(e["sources"]) <= THEME_SHIFTS[0] and e["value"] < THEME_SHIFTS[1])]
    total = sum(entry["value"] for entry in counted)
    assert total == 0, f"layout shift {total:.4f}: {counted}"


def test_themed_pictures_load_the_candidate_their_markup_selects(themed_visits):
    before, after = themed_visits
    pictures = [p for p in after.pictures if p["img"] and p["img"]["rendered"]]
    assert pictures or not [p for p in before.pictures if p["img"]], "no <picture> on the rewritten page"
    probes = {}
    for picture in pictures:
        for source in picture["sources"]:
            candidates = parse_srcset(source["srcset"])
            if candidates and source["type"] not in probes:
                probes[source["type"]] = urllib.parse.urljoin(after.url, candidates[0][0])
    decodable = after.decode(probes.values())
    supported = {kind for kind, url in probes.items() if decodable.get(url)}
    problems = []
    for picture in pictures:
        img = picture["img"]
        assert picture["outcome"] in ("load", "complete") and img["naturalWidth"] > 0, f"{img['src']} did not load"
        # The first <source> that matches and whose type Chromium decodes, else the <img>.
        source = next((s for s in picture["sources"]
                       if s["srcset"] and s["mediaMatches"] and (not s["type"] or s["type"] in supported)), None)
        markup = source or img
        candidates = sitecheck.srcset_candidates(markup["srcset"] or "")
        if source is None and img["src"] and not any(d.endswith("w") or d in ("", "1x") for _, d in candidates):
            candidates.append((img["src"], "1x"))
        unsupported = set()
        expected = sitecheck.choose(candidates, markup["sizes"], unsupported, viewport=after.width, ratio=after.dpr)
        if expected and urllib.parse.urljoin(after.url, expected) != img["currentSrc"]:
            problems.append(f"{img['src']}: loaded {img['currentSrc']}, its markup selects {expected} at "
                            f"{after.width}px × {after.dpr} (sizes={markup['sizes']!r})")
        if img["widthAttr"] is None or img["heightAttr"] is None:
            problems.append(f"{img['src']}: no width/height")
    assert not problems, "\n".join(problems)


def test_themed_no_new_console_errors_or_failed_requests(themed_visits):
    before, after = themed_visits
    known = {e["text"] for e in before.console_errors()}
    assert [e for e in after.console_errors() if e["text"] not in known] == []
    assert after.failed - before.failed == set(), "requests that fail only after the run"
    foreign_before = {r["url"] for r in before.foreign_requests()}
    assert [r["url"] for r in after.foreign_requests() if r["url"] not in foreign_before] == []
    # The theme's own requests to Google (its web font) stay; YouTube gets nothing before a click.
    youtube = [r["url"] for r in after.requests if any(h in r["host"] for h in ("youtube", "ytimg", "googlevideo"))]
    assert youtube == [], "requests to YouTube before any click"
