"""The checker's own rules on small pages: srcset parsing, media queries, sizes, and the
candidate a 1280-px viewport at pixel ratio 1 loads."""
import html5lib

import sitecheck


def img(markup):
    tree = html5lib.parse(markup, treebuilder="etree", namespaceHTMLElements=False)
    for element, ancestors in sitecheck.walk(tree):
        if element.tag == "img":
            return element, ancestors[-1]
    raise AssertionError("no img")


def chosen(markup):
    unsupported = set()
    element, parent = img(markup)
    return sitecheck.chosen_url(element, parent, unsupported), unsupported


def test_srcset_parsing():
    assert sitecheck.srcset_candidates("a.jpg 480w, b.jpg 960w") == [("a.jpg", "480w"), ("b.jpg", "960w")]
    # A comma inside a URL belongs to it (only a trailing one ends it), as the standard parses.
    assert sitecheck.srcset_candidates("a.jpg,b.jpg 2x") == [("a.jpg,b.jpg", "2x")]
    assert sitecheck.srcset_candidates("a.jpg, b.jpg 2x") == [("a.jpg", ""), ("b.jpg", "2x")]
    assert sitecheck.srcset_candidates(" x,y.jpg 1x ,z.jpg") == [("x,y.jpg", "1x"), ("z.jpg", "")]


def test_spec_example_wolf():
    # HTML standard: sizes=100vw with 400/800/1600w; at 1280 px the densities are
    # 0.31, 0.63 and 1.25, so the 1600w file is the least dense at or above 1.
    assert chosen('<img sizes="100vw" srcset="wolf-400.jpg 400w, wolf-800.jpg 800w, wolf-1600.jpg 1600w">')[0] == \
        "wolf-1600.jpg"


def test_sizes_media_condition_and_densest_fallback():
    markup = '<img src="f.jpg" sizes="(min-width: 768px) 720px, 100vw" srcset="s.jpg 480w, m.jpg 720w, l.jpg 1080w">'
    assert chosen(markup)[0] == "m.jpg"  # 720/720 = 1x
    assert chosen('<img sizes="(max-width: 600px) 100vw, 50em" srcset="s.jpg 480w, m.jpg 700w">')[0] == "m.jpg"
    # Nothing dense enough: the densest.
    assert chosen('<img srcset="s.jpg 320w, m.jpg 640w">')[0] == "m.jpg"


def test_src_only_when_srcset_has_no_w_and_no_1x():
    assert chosen('<img src="a.jpg">')[0] == "a.jpg"
    assert chosen('<img src="a.jpg" srcset="b.jpg 2x">')[0] == "a.jpg"
    assert chosen('<img src="a.jpg" srcset="b.jpg 1x">')[0] == "b.jpg"
    assert chosen('<img src="a.jpg" srcset="b.jpg 100w">')[0] == "b.jpg"


def test_picture_sources_in_order_with_type_and_media():
    markup = """<picture>
      <source type="image/jxl" srcset="a.jxl 2000w">
      <source media="(max-width: 600px)" srcset="narrow.avif 600w">
      <source type="image/avif" srcset="p.avif 960w, q.avif 1440w" sizes="100vw">
      <source type="image/webp" srcset="p.webp 960w">
      <img src="p.jpg" srcset="p.jpg 960w">
    </picture>"""
    assert chosen(markup)[0] == "q.avif"
    # A source without srcset is skipped; an unknown feature does not match and is reported.
    found, unsupported = chosen(
        '<picture><source><source media="(orientation: landscape)" srcset="o.webp"><img src="i.jpg"></picture>')
    assert found == "i.jpg" and unsupported == {"media '(orientation: landscape)'"}


def test_visible_text_skips_hidden_parts_and_facades():
    tree = html5lib.parse(
        "<title>T</title><p>One <b>two</b><!-- c --> three</p><script>x</script><noscript>n</noscript>"
        "<figure class='vignette-video'><span>Video title</span></figure><template>t</template>",
        treebuilder="etree", namespaceHTMLElements=False)
    assert sitecheck.visible_text(tree) == "One two three"


def test_attribute_rules():
    before = {"class": "a b", "style": "color: red; margin: 0", "loading": "lazy", "data-x": "1", "src": "p.jpg#center"}
    kept = {"class": "b a c", "style": "margin:0;color: red;background: #fff", "loading": "lazy", "data-x": "1",
            "src": "p.960w.jpg#center"}
    assert sitecheck.attribute_problems(before, kept) == []
    lost = {"class": "a", "style": "color: red", "src": "p.960w.jpg"}
    assert sitecheck.attribute_problems(before, lost) == [
        "class b lost", "style margin: 0 lost", "loading='lazy' became None", "data-x='1' became None",
        "src fragment 'center' became ''"]
    handler = dict(kept, onload="this.style.background='none'")
    assert sitecheck.attribute_problems(before, handler) == ["inline event handler onload added"]
    assert sitecheck.attribute_problems(dict(before, onload="x()"), dict(kept, onload="x()")) == []


def test_original_is_lightest_only_when_every_variant_is_larger(tmp_path):
    original = tmp_path / "avatar.png"
    original.write_bytes(bytes(400))
    assert not sitecheck.original_is_lightest(original)  # no variants: not processed at all
    (tmp_path / "avatar.300w.0123abcd.webp").write_bytes(bytes(600))
    (tmp_path / "other.300w.0123abcd.webp").write_bytes(bytes(10))
    assert sitecheck.original_is_lightest(original)
    (tmp_path / "avatar.300w.4567cdef.jpg").write_bytes(bytes(300))
    assert not sitecheck.original_is_lightest(original)
