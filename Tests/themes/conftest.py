"""Per-theme figures, collected by the tests and written to .test-artifacts/themes/report.json
and the end of pytest's output."""
import json

import pytest

import themesite

_FIGURES = {}


@pytest.fixture(scope="session")
def artifacts():
    return themesite.example_site.artifacts_folder("themes")


@pytest.fixture(scope="session")
def figures(artifacts):
    """{theme: {"hugo": summary, "site": summary, "pages": [...]}}, filled by the tests."""
    yield _FIGURES
    (artifacts / "report.json").write_text(json.dumps(_FIGURES, indent=2, ensure_ascii=False))


def pytest_terminal_summary(terminalreporter):
    if not _FIGURES:
        return
    terminalreporter.section("themed sites: image bytes a 1280-px viewport downloads")
    for theme, row in _FIGURES.items():
        for stage, summary in row.items():
            if stage == "pages":
                continue
            terminalreporter.write_line(
                f"{theme} ({stage}): {summary['pages']} pages, {summary['images']} images shown "
                f"({summary['localImages']} local, {summary['remoteImages']} remote), {summary['rewritten']} rewritten; "
                f"{summary['bytesBefore']:,} bytes before, {summary['bytesAfter']:,} after; "
                f"{summary['posters']} video posters ({summary['posterBytes']:,} bytes) in place of iframes")
