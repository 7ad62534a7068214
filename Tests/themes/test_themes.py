"""Real Hugo themes' example sites, built with the real hugo, checked page by page before and
after `vignette build --site public` (see sitecheck.py for every check)."""
import shutil

import pytest

import sitecheck
import themesite


@pytest.fixture(scope="module")
def youtube(tmp_path_factory):
    server = themesite.YouTube(tmp_path_factory.mktemp("youtube"))
    yield server
    server.close()


def hugo_site(theme, tmp_path):
    site = themesite.copy_site(theme, tmp_path)
    public = themesite.hugo(site)
    return site, public, themesite.base_url(public)


def first_image(site: sitecheck.Site, skip=()):
    """(page, image) of the first shown local image whose file is not in `skip`."""
    for relative in site.pages():
        for image in sitecheck.read_page(site, relative).images:
            if not image.hidden and image.file is not None and image.file not in skip:
                return relative, image
    raise AssertionError("no local image")


@pytest.mark.parametrize("theme", themesite.THEMES)
def test_checker_sees_every_kind_of_breakage(theme, tmp_path, figures):
    """The checker is not vacuous: on the theme's plain hugo output it flags each breakage
    made on purpose, and it finds the images hugo left without <picture>."""
    site, public, base = hugo_site(theme, tmp_path)
    before = sitecheck.Site(public, base)
    plain = sitecheck.compare(before, before, require_pictures=False)
    assert plain.problems == [], plain.problems
    figures.setdefault(theme, {})["hugo"] = plain.summary()

    shown = [
        i for r in before.pages() for i in sitecheck.read_page(before, r).images
        if not i.hidden and i.source_file is not None and i.source_file.suffix.lower() in sitecheck.RASTER]
    without = sitecheck.compare(before, before).problems
    assert len(without) == len(shown) > 0 and all("lacks <picture>" in p for p in without), without

    # Breakages made on purpose in a copy, chosen from the intact pages: an image file gone
    # (a 404), another one made heavier, visible text added to a page, a theme attribute
    # dropped from an <img> on another.
    broken_root = tmp_path / "broken"
    shutil.copytree(public, broken_root)
    broken = sitecheck.Site(broken_root, base)
    gone_page, gone = first_image(before)
    heavy_page, heavy = first_image(before, skip={gone.file})
    (broken_root / gone.file.relative_to(public.resolve())).unlink()
    with open(broken_root / heavy.file.relative_to(public.resolve()), "ab") as handle:
        handle.write(bytes(100_000))
    text_page = next(
        r for r in before.pages() if r not in (gone_page, heavy_page) and "<body" in (public / r).read_text())
    page = broken_root / text_page
    html = page.read_text()
    body = html.index(">", html.index("<body")) + 1
    page.write_text(html[:body] + "<p>Added words</p>" + html[body:])
    attribute_page = next(
        r for r in before.pages() if r != text_page
        and any(i.element.get("alt") for i in sitecheck.read_page(before, r).images))
    html = (broken_root / attribute_page).read_text()
    alt = html.index(" alt=", html.index("<img"))
    quote = html[alt + 5]
    end = html.index(quote, alt + 6) + 1 if quote in "\"'" else html.index(" ", alt + 5)
    (broken_root / attribute_page).write_text(html[:alt] + html[end:])

    problems = sitecheck.compare(before, broken, require_pictures=False).problems
    def found(page, text):
        return any(p.startswith(f"{page}: ") and text in p for p in problems)
    assert found(gone_page, "new 404"), problems
    assert found(heavy_page, "image bytes at 1280 px"), problems
    assert found(text_page, "visible text changed"), problems
    assert found(attribute_page, "alt="), problems
    assert any("changed or removed" in p for p in problems), problems


@pytest.mark.parametrize("theme", themesite.THEMES)
def test_site_mode_keeps_the_theme_and_downloads_less(theme, tmp_path, youtube, figures):
    if not themesite.supports_site_mode():
        pytest.skip("this vignette has no `build --site` yet (issue 10's site engine)")
    site, public, base = hugo_site(theme, tmp_path)
    before_root = tmp_path / "before"
    shutil.copytree(public, before_root)

    run = themesite.vignette_site(site, youtube)
    assert run.returncode == 0, run.stdout + run.stderr
    assert str(tmp_path) not in run.stdout + run.stderr, "an absolute path in the output"
    leaked = [f for f in sitecheck.tree_differences(before_root, public)
              if (public / f).is_file() and str(tmp_path).encode() in (public / f).read_bytes()]
    assert leaked == [], "files with an absolute path of this machine"
    report = sitecheck.compare(sitecheck.Site(before_root, base), sitecheck.Site(public, base))
    figures.setdefault(theme, {})["site"] = report.summary()
    figures[theme]["pages"] = [vars(p) for p in report.pages if p.images]
    assert report.problems == [], "\n".join(report.problems)
    assert report.total("rewritten") > 0
    assert report.bytes_after < report.bytes_before

    first_root = tmp_path / "first"
    shutil.copytree(public, first_root)
    # A second run changes no byte.
    again = themesite.vignette_site(site, youtube)
    assert again.returncode == 0, again.stdout + again.stderr
    assert sitecheck.tree_differences(first_root, public) == []
    # hugo rebuilds over the rewritten folder (as `hugo && vignette build --site public` does
    # on every deploy): the run gives exactly what the first run gave.
    themesite.hugo(site)
    rebuilt = themesite.vignette_site(site, youtube)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert sitecheck.tree_differences(first_root, public) == []
    # And from a clean folder.
    shutil.rmtree(public)
    themesite.hugo(site)
    clean = themesite.vignette_site(site, youtube)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert sitecheck.tree_differences(first_root, public) == []
