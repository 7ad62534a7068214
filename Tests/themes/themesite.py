"""The themed example sites under Tests/themes, built with the real `hugo` into a temporary
folder, and `vignette build --site` run over their output (with YouTube's oEmbed and thumbnail
hosts pointed at the loopback stand-in the browser tests use, so videos get posters offline)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import html5lib

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Tests" / "browser"))
import example_site  # noqa: E402  (the YouTube stand-in and the vignette binary)

# Each theme's example site, in the folder of that name (Tests/themes/README.md says where
# each came from).
THEMES = ["papermod", "stack"]


# Hugo stops a build when one page's content takes longer than its `timeout` setting (30 s by
# default); on a loaded 2-core machine PaperMod's cover.html once did. HUGO_TIMEOUT in the
# environment wins over the site's own config, so every themed build gets this instead.
HUGO_TIMEOUT = "600s"


def hugo(site: Path):
    """Builds `site` into site/public with Debian's hugo (as a user would: `hugo`), with a
    generous template timeout (HUGO_TIMEOUT)."""
    run = subprocess.run(["hugo", "--quiet"], cwd=site, capture_output=True, text=True, timeout=900,
                         env={**os.environ, "HUGO_TIMEOUT": HUGO_TIMEOUT})
    if run.returncode != 0:
        raise RuntimeError(f"hugo failed in {site.name} ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    return site / "public"


def copy_site(theme: str, workdir: Path) -> Path:
    site = Path(workdir) / theme
    shutil.copytree(HERE / theme, site)
    return site


def base_url(public: Path) -> str:
    """The site's base URL, from the home page's `<link rel=canonical>` (Hugo writes the
    configured baseURL there)."""
    tree = html5lib.parse((public / "index.html").read_bytes(), treebuilder="etree", namespaceHTMLElements=False)
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return link.get("href")
    raise RuntimeError(f"{public}/index.html has no <link rel=canonical>")


def supports_site_mode() -> bool:
    """Whether the vignette binary has `build --site` yet."""
    run = subprocess.run([str(example_site.vignette_binary()), "build", "--help"], capture_output=True, text=True)
    return "--site" in run.stdout + run.stderr


class YouTube:
    """The loopback stand-in for YouTube, with thumbnails cut from the example's artwork."""

    def __init__(self, workdir: Path):
        folder = Path(workdir) / "thumbnails"
        folder.mkdir(exist_ok=True)
        self.server = example_site.fake_youtube(example_site.make_thumbnails(folder))

    def config(self):
        return {"youtube": {"oembed": f"{self.server.origin}/oembed", "thumbnails": f"{self.server.origin}/vi"}}

    def close(self):
        self.server.close()


def vignette_site(site: Path, youtube: YouTube, *extra):
    """`vignette build --site public` in the site's folder, with a pipeline.json that only
    points YouTube at the stand-in. Returns the completed process."""
    (site / "pipeline.json").write_text(json.dumps(youtube.config()))
    return subprocess.run(
        [str(example_site.vignette_binary()), "build", "--site", "public", *extra],
        cwd=site, capture_output=True, text=True, timeout=900, env={**os.environ, "NO_COLOR": "1"})
