"""The themed builds' own settings: a slow page never hits Hugo's template timeout."""
import subprocess

import themesite


def slow_site(root):
    """A site whose config allows each page 1 ms, with a shortcode that takes longer."""
    (root / "content").mkdir(parents=True)
    (root / "layouts" / "_default").mkdir(parents=True)
    (root / "layouts" / "shortcodes").mkdir()
    (root / "config.toml").write_text('baseURL = "https://example.com/"\ntimeout = "1ms"\n')
    (root / "layouts" / "shortcodes" / "slow.html").write_text(
        "{{ $s := 0 }}{{ range seq 100 }}{{ range seq 50 }}{{ $s = add $s . }}{{ end }}{{ end }}{{ $s }}")
    (root / "layouts" / "_default" / "single.html").write_text("<html><body>{{ .Content }}</body></html>")
    (root / "layouts" / "_default" / "list.html").write_text("<html><body></body></html>")
    (root / "content" / "a.md").write_text("---\ntitle: a\n---\n{{< slow >}}\n")
    return root


def test_slow_page_is_not_cut_off(tmp_path):
    site = slow_site(tmp_path / "site")
    # The site's own timeout does stop plain hugo, so the fixture really is slow enough...
    plain = subprocess.run(["hugo", "--quiet"], cwd=site, capture_output=True, text=True, timeout=900)
    assert plain.returncode != 0 and "timed out" in plain.stderr + plain.stdout
    # ...and the harness's build finishes it.
    public = themesite.hugo(site)
    assert "127500" in (public / "a" / "index.html").read_text()
