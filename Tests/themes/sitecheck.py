"""Page-by-page comparison of a generated site before and after `vignette build --site`.

Every page is parsed with html5lib (the HTML5 parsing algorithm, as a browser builds its tree;
never regular expressions) and compared with the same page before:

- no new 404: every `src`, `srcset`, `href` and `poster` URL, and the `og:image` /
  `twitter:image` card URLs, resolved against the page's URL (or its `<base href>`) and the
  site's base URL, names a file of the folder whenever it did before;
- the visible text is the same (text outside `<head>`, `<script>`, `<style>`, `<template>`,
  `<noscript>` and `<iframe>`, whitespace collapsed; a video facade's own title does not count,
  since it replaces an iframe);
- every attribute a theme wrote on an `<img>` (`class`, `id`, `style`, `title`, `loading`,
  `alt`, `width`, `height`, `decoding`, `data-*`) is still on it, and the fragment and query of
  its `src` are kept;
- no page fetches more image bytes at a 1280-px viewport (a video facade's poster, which
  replaces an iframe, is counted apart): per image, the candidate the HTML
  standard's selection picks (sources of a `<picture>` first, `sizes`, density = width ÷ slot
  size, the least dense candidate at or above the pixel ratio, else the densest; see
  /work/shared/reference/formats.md §6.2), summed per page;
- every local raster image (JPEG, PNG, WebP, AVIF, TIFF, BMP) is inside a `<picture>` with a
  `srcset` and has `width` and `height` (no `srcset` is right only where every variant
  Vignette made of the file is larger than the file itself);
- every file other than a page is byte for byte what it was (feeds, sitemaps, the originals
  that links and social cards point at).

The media-query evaluator below understands what `sizes` and `<source media>` use in practice
(`min-width`/`max-width` in px or em, `and`, `,`, `not`, media types); any other feature counts
as not matching and is listed in `Report.unsupported`.
"""
from __future__ import annotations

import hashlib
import os
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import html5lib

VIEWPORT = 1280
PIXEL_RATIO = 1.0
EM = 16.0
RASTER = {".jpg", ".jpeg", ".png", ".webp", ".avif", ".tif", ".tiff", ".bmp"}
SUPPORTED_TYPES = {"image/avif", "image/webp", "image/jpeg", "image/png", "image/gif", "image/svg+xml", "image/apng"}
THEME_ATTRIBUTES = ("id", "title", "loading", "alt", "width", "height", "decoding")
HIDDEN_TEXT = {"head", "script", "style", "template", "noscript", "iframe", "title"}
CARD_META = {"og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"}


# --- parsing -------------------------------------------------------------------------------


def parse(path: Path):
    """The page's tree, as a browser with scripting off builds it (so `<noscript>` content is
    parsed as elements and can be told apart)."""
    with open(path, "rb") as handle:
        return html5lib.parse(handle, treebuilder="etree", namespaceHTMLElements=False)


def walk(element, ancestors=()):
    """Every element with its ancestors, in document order."""
    yield element, ancestors
    for child in element:
        if isinstance(child.tag, str):
            yield from walk(child, ancestors + (element,))


def inside(ancestors, *tags):
    return any(a.tag in tags for a in ancestors)


# --- URLs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """A folder of generated pages served at `base_url` (which may have a path, `/blog/`)."""

    root: Path
    base_url: str

    @property
    def base(self):
        return urllib.parse.urlsplit(self.base_url)

    def page_url(self, relative: str) -> str:
        path = relative[: -len("index.html")] if relative.endswith("index.html") else relative
        return urllib.parse.urljoin(self.base_url, urllib.parse.quote(path))

    def pages(self):
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.html") if p.is_file())

    def locate(self, url: str):
        """("local", file or None) for a URL of this site, ("remote", None) for another host,
        ("other", None) for data:, mailto:, javascript: and the like."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return "other", None
        if parts.netloc != self.base.netloc:
            return "remote", None
        base_path = self.base.path if self.base.path.endswith("/") else self.base.path + "/"
        if not parts.path.startswith(base_path) and parts.path + "/" != base_path:
            return "local", None  # on this host but outside the site's folder
        relative = urllib.parse.unquote(parts.path[len(base_path):])
        target = self.root / relative
        if relative == "" or relative.endswith("/") or target.is_dir():
            target = target / "index.html"
        try:
            resolved = target.resolve()
        except OSError:
            return "local", None
        if not resolved.is_file() or not resolved.is_relative_to(self.root.resolve()):
            return "local", None
        return "local", resolved


def srcset_candidates(value: str):
    """[(url, descriptor)] per the HTML standard's srcset parser: a URL runs to whitespace (a
    trailing comma ends it), descriptors to the next comma outside parentheses."""
    candidates = []
    position = 0
    text = value or ""
    while True:
        while position < len(text) and (text[position].isspace() or text[position] == ","):
            position += 1
        if position >= len(text):
            return candidates
        start = position
        while position < len(text) and not text[position].isspace():
            position += 1
        url = text[start:position]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start = position
            depth = 0
            while position < len(text) and (text[position] != "," or depth):
                depth += text[position] == "("
                depth -= text[position] == ")"
                position += 1
            descriptor = text[start:position].strip()
        candidates.append((url, descriptor))


def document_base(tree, page_url):
    for element, _ in walk(tree):
        if element.tag == "base" and element.get("href") is not None:
            return urllib.parse.urljoin(page_url, element.get("href").strip())
    return page_url


def page_urls(tree, page_url):
    """Every URL the page points at: (tag, attribute, resolved URL)."""
    base = document_base(tree, page_url)
    found = []
    for element, _ in walk(tree):
        for attribute in ("src", "href", "poster"):
            value = element.get(attribute)
            if value is not None and value.strip() and not (element.tag == "base" and attribute == "href"):
                found.append((element.tag, attribute, urllib.parse.urljoin(base, value.strip())))
        if element.get("srcset") is not None:
            for url, _ in srcset_candidates(element.get("srcset")):
                found.append((element.tag, "srcset", urllib.parse.urljoin(base, url)))
        if element.tag == "meta" and (element.get("property") or element.get("name") or "").lower() in CARD_META:
            if element.get("content"):
                found.append(("meta", "content", urllib.parse.urljoin(base, element.get("content").strip())))
    return found


# --- media queries and sizes ---------------------------------------------------------------


def length(value: str, unsupported: set, viewport=VIEWPORT):
    value = value.strip().lower()
    match = re.fullmatch(r"([0-9]*\.?[0-9]+)(px|vw|em|rem)?", value)
    if not match:
        unsupported.add(f"length {value!r}")
        return None
    number = float(match.group(1))
    unit = match.group(2) or ("px" if number == 0 else None)
    return {"px": number, "vw": number * viewport / 100, "em": number * EM, "rem": number * EM}.get(unit)


def media_matches(query: str, unsupported: set, viewport=VIEWPORT) -> bool:
    """A media query list against a screen `viewport` px wide."""
    query = (query or "").strip()
    if not query:
        return True
    for part in query.split(","):
        words = part.strip().lower()
        negate = words.startswith("not ")
        words = words[4:] if negate else words
        words = re.sub(r"^only\s+", "", words)
        result = True
        for term in re.split(r"\s+and\s+", words):
            term = term.strip()
            if term in ("all", "screen"):
                continue
            if term in ("print", "speech"):
                result = False
                continue
            feature = re.fullmatch(r"\(\s*(min-width|max-width)\s*:\s*([^)]+)\)", term)
            if feature:
                limit = length(feature.group(2), unsupported, viewport)
                if limit is None:
                    result = False
                elif feature.group(1) == "min-width":
                    result = result and viewport >= limit
                else:
                    result = result and viewport <= limit
                continue
            unsupported.add(f"media {term!r}")
            result = False
        if result != negate:
            return True
    return False


def slot_width(sizes: str | None, unsupported: set, viewport=VIEWPORT) -> float:
    """The `sizes` attribute's source size: the first entry whose condition matches, else 100vw."""
    if sizes:
        depth = 0
        entries, current = [], ""
        for char in sizes:
            depth += char == "("
            depth -= char == ")"
            if char == "," and depth == 0:
                entries.append(current)
                current = ""
            else:
                current += char
        entries.append(current)
        for entry in entries:
            entry = entry.strip()
            if not entry or entry == "auto":
                continue
            match = re.fullmatch(r"(.*?)\s*([0-9]*\.?[0-9]+[a-z]*)", entry)
            if not match:
                unsupported.add(f"sizes entry {entry!r}")
                continue
            condition, value = match.groups()
            if media_matches(condition, unsupported, viewport):
                width = length(value, unsupported, viewport)
                if width is not None:
                    return width
    return float(viewport)


def choose(candidates, sizes, unsupported, viewport=VIEWPORT, ratio=PIXEL_RATIO):
    """The candidate URL the selection rule picks at `viewport` CSS px × `ratio`."""
    slot = slot_width(sizes, unsupported, viewport)
    rated = []
    for url, descriptor in candidates:
        density = 1.0
        if descriptor.endswith("w"):
            density = float(descriptor[:-1]) / slot if slot else float("inf")
        elif descriptor.endswith("x"):
            density = float(descriptor[:-1])
        if all(d != density for _, d in rated):  # a later duplicate density is dropped
            rated.append((url, density))
    if not rated:
        return None
    enough = [r for r in rated if r[1] >= ratio]
    if enough:
        return min(enough, key=lambda r: r[1])[0]  # min keeps the first written of equals
    return max(rated, key=lambda r: r[1])[0]


def chosen_url(img, parent, unsupported):
    """The URL a browser loads for `img` (None when it has nothing to load)."""
    if parent is not None and parent.tag == "picture":
        for sibling in parent:
            if sibling is img:
                break
            if sibling.tag != "source" or not sibling.get("srcset"):
                continue
            candidates = srcset_candidates(sibling.get("srcset"))
            if not candidates or not media_matches(sibling.get("media"), unsupported):
                continue
            kind = (sibling.get("type") or "").split(";")[0].strip().lower()
            if kind and kind not in SUPPORTED_TYPES:
                continue
            return choose(candidates, sibling.get("sizes"), unsupported)
    candidates = srcset_candidates(img.get("srcset") or "")
    src = (img.get("src") or "").strip()
    if src and not any(d.endswith("w") or d in ("", "1x", "1.0x") for _, d in candidates):
        candidates.append((src, "1x"))
    return choose(candidates, img.get("sizes"), unsupported)


# --- one page ------------------------------------------------------------------------------


@dataclass
class Image:
    """An `<img>` as the comparison needs it."""

    element: object
    parent: object
    hidden: bool  # in <noscript> or <template>: not loaded by a browser with scripting
    facade: bool  # the poster of a video facade, which replaces an iframe (not an <img> of the theme)
    src: str | None  # resolved
    chosen: str | None  # resolved
    kind: str  # local, remote, other, none
    file: Path | None  # the chosen candidate's file
    source_file: Path | None  # the src's file


@dataclass
class Page:
    relative: str
    text: str
    urls: list
    images: list
    unsupported: set = field(default_factory=set)

    @property
    def theme_images(self):
        """The page's own images: what the comparison pairs up (facade posters are new)."""
        return [i for i in self.images if not i.facade]

    @property
    def image_bytes(self):
        return sum(i.file.stat().st_size for i in self.theme_images if not i.hidden and i.file is not None)

    @property
    def poster_bytes(self):
        return sum(i.file.stat().st_size for i in self.images if i.facade and not i.hidden and i.file is not None)


def collapse(text):
    return " ".join(text.split())


def visible_text(tree):
    parts = []

    def visit(element):
        if not isinstance(element.tag, str) or element.tag in HIDDEN_TEXT:
            return
        if "vignette-video" in (element.get("class") or "").split():
            return  # a facade's title replaces an iframe, which has none
        if element.text:
            parts.append(element.text)
        for child in element:
            visit(child)
            if child.tail:
                parts.append(child.tail)

    for element, _ in walk(tree):
        if element.tag == "body":
            visit(element)
            break
    return collapse(" ".join(parts))


_PAGES = {}


def read_page(site: Site, relative: str) -> Page:
    """The page, parsed once per version of its file (html5lib is pure Python: 0.1 s a page)."""
    stat = (site.root / relative).stat()
    key = (str(site.root), site.base_url, relative, stat.st_mtime_ns, stat.st_size)
    if key not in _PAGES:
        _PAGES[key] = _read_page(site, relative)
    return _PAGES[key]


def _read_page(site: Site, relative: str) -> Page:
    tree = parse(site.root / relative)
    url = site.page_url(relative)
    base = document_base(tree, url)
    unsupported = set()
    images = []
    for element, ancestors in walk(tree):
        if element.tag != "img":
            continue
        parent = ancestors[-1] if ancestors else None
        src = element.get("src")
        resolved_src = urllib.parse.urljoin(base, src.strip()) if src and src.strip() else None
        chosen = chosen_url(element, parent, unsupported)
        resolved = urllib.parse.urljoin(base, chosen) if chosen else None
        kind, file = site.locate(resolved) if resolved else ("none", None)
        source_file = site.locate(resolved_src)[1] if resolved_src else None
        facade = any("vignette-video" in (a.get("class") or "").split() for a in ancestors)
        images.append(
            Image(element, parent, inside(ancestors, "noscript", "template"), facade, resolved_src, resolved, kind,
                  file, source_file))
    return Page(relative, visible_text(tree), page_urls(tree, url), images, unsupported)


def missing_urls(site: Site, page: Page):
    return {(tag, attribute, url) for tag, attribute, url in page.urls if site.locate(url) == ("local", None)}


# --- comparison ----------------------------------------------------------------------------


@dataclass
class PageFigures:
    relative: str
    bytes_before: int
    bytes_after: int
    images: int
    local: int
    remote: int
    rewritten: int
    posters: int = 0  # video facades' posters (in place of iframes, whose bytes are not counted)
    poster_bytes: int = 0


@dataclass
class Report:
    """What the comparison found. `problems` is empty when the site passed."""

    problems: list = field(default_factory=list)
    pages: list = field(default_factory=list)
    unsupported: set = field(default_factory=set)

    @property
    def bytes_before(self):
        return sum(p.bytes_before for p in self.pages)

    @property
    def bytes_after(self):
        return sum(p.bytes_after for p in self.pages)

    def total(self, name):
        return sum(getattr(p, name) for p in self.pages)

    def summary(self):
        return {
            "pages": len(self.pages),
            "images": self.total("images"),
            "localImages": self.total("local"),
            "remoteImages": self.total("remote"),
            "rewritten": self.total("rewritten"),
            "posters": self.total("posters"),
            "posterBytes": self.total("poster_bytes"),
            "bytesBefore": self.bytes_before,
            "bytesAfter": self.bytes_after,
            "problems": len(self.problems),
        }


def class_tokens(value):
    return set((value or "").split())


def style_declarations(value):
    declarations = set()
    for declaration in (value or "").split(";"):
        name, _, rest = declaration.partition(":")
        if name.strip():
            declarations.add(f"{name.strip().lower()}: {collapse(rest)}")
    return declarations


def attribute_problems(before, after):
    problems = []
    for name, value in before.items():
        kept = after.get(name)
        if name == "class":
            lost = class_tokens(value) - class_tokens(kept)
            if lost:
                problems.append(f"class {' '.join(sorted(lost))} lost")
        elif name == "style":
            lost = style_declarations(value) - style_declarations(kept)
            if lost:
                problems.append(f"style {'; '.join(sorted(lost))} lost")
        elif name in THEME_ATTRIBUTES or name.startswith("data-"):
            if kept != value:
                problems.append(f"{name}={value!r} became {kept!r}")
    # An event handler the theme did not write (`onload="…"`) is inline script: a strict
    # Content-Security-Policy blocks it.
    for name in sorted(after):
        if name.lower().startswith("on") and name not in before:
            problems.append(f"inline event handler {name} added")
    for part in ("query", "fragment"):
        old = getattr(urllib.parse.urlsplit(before.get("src") or ""), part)
        new = getattr(urllib.parse.urlsplit(after.get("src") or ""), part)
        if old and old != new:
            problems.append(f"src {part} {old!r} became {new!r}")
    return problems


def picture_problem(image: Image):
    """Why a local raster image is not a complete responsive picture (None when it is)."""
    if image.hidden or image.source_file is None or image.source_file.suffix.lower() not in RASTER:
        return None
    missing = []
    if image.parent is None or image.parent.tag != "picture":
        missing.append("<picture>")
    has_srcset = image.element.get("srcset") or (
        image.parent is not None and image.parent.tag == "picture"
        and any(s.tag == "source" and s.get("srcset") for s in image.parent))
    if not has_srcset and not original_is_lightest(image.source_file):
        missing.append("srcset")
    for name in ("width", "height"):
        if not image.element.get(name):
            missing.append(name)
    return ", ".join(missing) if missing else None


def original_is_lightest(file: Path):
    """Whether Vignette made variants of `file` (named `NAME.<width>w.<hash>.<ext>` beside it)
    and every one is larger than the file itself, so that the file alone is the right choice."""
    pattern = re.compile(re.escape(file.stem) + r"\.[0-9]+w\.[0-9a-f]+\.[a-z0-9]+")
    variants = [f for f in file.parent.iterdir() if pattern.fullmatch(f.name)]
    return bool(variants) and all(f.stat().st_size > file.stat().st_size for f in variants)


def is_picture(image: Image):
    return image.parent is not None and image.parent.tag == "picture"


def describe(image: Image):
    return image.element.get("src") or image.element.get("srcset") or "<img>"


def compare(before: Site, after: Site, require_pictures=True) -> Report:
    """Compares every page of `before` with the same page of `after`."""
    report = Report()
    after_pages = set(after.pages())
    for relative in before.pages():
        if relative not in after_pages:
            report.problems.append(f"{relative}: page missing after the run")
            continue
        old, new = read_page(before, relative), read_page(after, relative)
        report.unsupported |= old.unsupported | new.unsupported
        for tag, attribute, url in sorted(missing_urls(after, new) - missing_urls(before, old)):
            report.problems.append(f"{relative}: new 404 for <{tag} {attribute}> {url}")
        if old.text != new.text:
            at = next((i for i, (a, b) in enumerate(zip(old.text, new.text)) if a != b), min(len(old.text), len(new.text)))
            report.problems.append(
                f"{relative}: visible text changed at {at}: {old.text[max(0, at - 40):at + 40]!r} → "
                f"{new.text[max(0, at - 40):at + 40]!r}")
        if len(old.theme_images) != len(new.theme_images):
            report.problems.append(f"{relative}: {len(old.theme_images)} <img> before, {len(new.theme_images)} after")
        rewritten = 0
        for first, second in zip(old.theme_images, new.theme_images):
            for problem in attribute_problems(first.element.attrib, second.element.attrib):
                report.problems.append(f"{relative}: <img> {describe(first)}: {problem}")
            if not is_picture(first) and is_picture(second) or first.element.attrib != second.element.attrib:
                rewritten += 1
        if require_pictures:
            for image in new.images:
                problem = picture_problem(image)
                if problem:
                    report.problems.append(f"{relative}: local image {describe(image)} lacks {problem}")
        if new.image_bytes > old.image_bytes:
            report.problems.append(
                f"{relative}: fetches {new.image_bytes} image bytes at {VIEWPORT} px, {old.image_bytes} before")
        shown = [i for i in old.theme_images if not i.hidden]
        report.pages.append(
            PageFigures(
                relative, old.image_bytes, new.image_bytes, len(shown), sum(i.kind == "local" for i in shown),
                sum(i.kind == "remote" for i in shown), rewritten, sum(i.facade for i in new.images), new.poster_bytes))
    for relative, digest in tree_digests(before.root).items():
        if not relative.endswith(".html") and tree_digest_of(after.root / relative) != digest:
            report.problems.append(f"{relative}: changed or removed (only pages may change)")
    return report


# --- whole trees ---------------------------------------------------------------------------


def tree_digest_of(path: Path):
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digests(root: Path):
    """{relative path: SHA-256} of every file under `root`."""
    result = {}
    for directory, _, files in os.walk(root):
        for name in files:
            path = Path(directory) / name
            result[path.relative_to(root).as_posix()] = tree_digest_of(path)
    return result


def tree_differences(first: Path, second: Path):
    """Files that differ between two trees, added or removed: empty when byte-identical."""
    a, b = tree_digests(first), tree_digests(second)
    return sorted(path for path in a.keys() | b.keys() if a.get(path) != b.get(path))
