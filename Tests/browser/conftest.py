"""Fixtures for the browser checks: the example site built once per run, a loopback server for
it, one headless Chromium, and one visit of the example post per viewport."""
import json

import pytest

import cdp
import example_site
from page import Visit

# Every page the example build writes, with the <picture> count it has at least (the
# start-time post has one only when its video got a poster).
PAGES = {"look-back": 2, "start-time": 0}
# Viewport widths (CSS px) × device pixel ratios a reader might have.
VIEWPORTS = [(width, dpr) for width in (375, 768, 1440) for dpr in (1, 2)]
HEIGHT = 900
# Every image response is held back this long, so the text paints first and an image that
# arrives without reserved space moves it (a layout shift), as on a slow connection.
IMAGE_DELAY = 0.25


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    output, log = example_site.build_example(tmp_path_factory.mktemp("site"))
    print(log)
    return output


@pytest.fixture(scope="session")
def site_config(built_site):
    """The pipeline config the site was built with."""
    return json.loads((built_site.parent / "pipeline.json").read_text())


@pytest.fixture(scope="session")
def server(built_site):
    server = example_site.static_server(built_site, delay=IMAGE_DELAY, csp=example_site.CONTENT_SECURITY_POLICY)
    yield server
    server.close()


@pytest.fixture(scope="session")
def browser():
    browser = cdp.Browser()
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def artifacts():
    return example_site.artifacts_folder("browser")


@pytest.fixture(scope="session")
def findings(artifacts):
    """What the checks saw, by viewport: written to report.json and summed up at the end."""
    rows = {}
    yield rows
    (artifacts / "report.json").write_text(json.dumps(rows, indent=2))
    _FINDINGS.update(rows)


_FINDINGS = {}


def pytest_terminal_summary(terminalreporter):
    if not _FINDINGS:
        return
    terminalreporter.section("image candidates chosen by Chromium")
    for viewport, row in _FINDINGS.items():
        chosen = ", ".join(f"{p['file']} ({p['rendered']:g}px -> {p['loaded']}w)" for p in row.get("pictures", []))
        terminalreporter.write_line(f"{viewport}: layout shift {row.get('layoutShift', '?')}; {chosen or 'no <picture>'}")


def page_url(server, name):
    return f"{server.origin}/html/{name}.html"


@pytest.fixture(scope="module", params=[(page, width, dpr) for page in PAGES for width, dpr in VIEWPORTS],
                ids=lambda v: f"{v[0]}-{v[1]}px@{v[2]}x")
def visit(request, browser, server, findings):
    """One page at one viewport, every picture scrolled into view and loaded."""
    name, width, dpr = request.param
    visit = Visit(browser, page_url(server, name), width, HEIGHT, dpr)
    visit.name, visit.width, visit.dpr = name, width, dpr
    visit.pictures = visit.load_pictures()
    visit.shifts = visit.layout_shifts()
    visit.findings = findings.setdefault(f"{name} {width}px@{dpr}x", {})
    visit.findings["layoutShift"] = sum(entry["value"] for entry in visit.shifts)
    visit.findings["requests"] = [r["url"] for r in visit.requests]
    yield visit
    visit.close()
