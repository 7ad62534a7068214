#!/usr/bin/env python3
"""Builds one site over public image test corpora and counts what Vignette made of each file.

Not part of the tests (the corpora are not committed; their licences are their projects'):
  - Pillow's Tests/images:  pip download --no-deps --no-binary pillow pillow  (then untar)
  - libvips' test/test-suite/images (github.com/libvips/libvips)
  - github.com/recurser/exif-orientation-examples

  bench/corpus-site.py --vignette .build/release/vignette --site /tmp/corpus-site \
      pillow=/path/pillow-X/Tests/images libvips=/path/libvips/test/test-suite/images exif=/path/exif

Every file of every corpus is copied to assets/images/<corpus>/…, posts reference each one
as a markdown image (50 a post), and `vignette build --json` runs with a timeout. Each
reference is then counted as rendered (status ok, with variants), refused with a location
(an error diagnostic at the post's line and column that names the file), or lost (neither:
the build crashed or hung, or the error has no location). A crash or hang is then narrowed
down to the files that cause it by building each file of the failing run in a site of its
own. The result is printed as JSON with the lists of files in each class.

With --compare (needs pyvips: pip install -r bench/requirements.txt), every published variant
is also compared with the source as a reference pipeline makes it, independently of Vignette's
code path: the whole source decoded (page 0), EXIF orientation applied, an embedded profile
(or CMYK) transformed to sRGB and untagged pixels kept, samples wider than a byte shifted to
8 bits, resized with lanczos3 to the variant's size, both flattened on white. Reported per variant: mean and maximum CIE76 ΔE and the mean
difference of each channel; flagged: a colour shift (a channel's mean off by more than 2 levels,
which compression noise does not do), an orientation error (an aspect ratio that is not the
upright source's, or a flipped or turned reference matching better), a size that is not the
manifest's, and a variant that cannot be read.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

PER_POST = 50


def assemble(site, corpora, files=None):
    """Writes the site; returns [(post, line, url path, corpus file)]."""
    if os.path.exists(site):
        shutil.rmtree(site)
    os.makedirs(site + "/assets/posts")
    refs = []
    for name, folder in corpora:
        for root, _, names in os.walk(folder):
            for file in sorted(names):
                source = os.path.join(root, file)
                relative = os.path.relpath(source, folder)
                if files is not None and (name, relative) not in files:
                    continue
                target = os.path.join(site, "assets/images", name, relative)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(source, target)
                refs.append((name, relative))
    refs.sort()
    located = []
    for start in range(0, len(refs), PER_POST):
        post = f"assets/posts/corpus-{start // PER_POST:03d}.md"
        lines = []
        for index, (name, relative) in enumerate(refs[start : start + PER_POST]):
            url = "/images/" + urllib.parse.quote(f"{name}/{relative}")
            lines.append(f"![{name} {relative}]({url})\n")
            located.append((post, 2 * index + 1, url, f"{name}/{relative}"))
        with open(os.path.join(site, post), "w") as out:
            out.write("\n".join(lines))
    config = {
        "version": 1,
        "assetRoots": ["assets"],
        "youtube": {"offline": True},
        "images": {"widths": [480, 960]},
    }
    with open(os.path.join(site, "pipeline.json"), "w") as out:
        json.dump(config, out)
    return located


def build(vignette, site, timeout):
    """Runs one build; returns (outcome, report or None, stderr)."""
    try:
        run = subprocess.run(
            [vignette, "build", "--json", "--config", "pipeline.json"],
            cwd=site, capture_output=True, text=True, timeout=timeout, errors="replace")
    except subprocess.TimeoutExpired as expired:
        stderr = expired.stderr.decode(errors="replace") if isinstance(expired.stderr, bytes) else expired.stderr
        return "hang", None, stderr or ""
    if run.returncode < 0 or run.returncode > 128 and run.returncode != 130:
        return f"crash (status {run.returncode})", None, run.stderr
    try:
        return "finished", json.loads(run.stdout), run.stderr
    except json.JSONDecodeError:
        return f"no report (status {run.returncode})", None, run.stderr


def classify(site, located, report):
    manifest_path = os.path.join(site, "output/manifest.json")
    manifest = json.load(open(manifest_path)) if report is not None and os.path.exists(manifest_path) else None
    statuses = {}
    if manifest:
        for post in manifest["posts"]:
            for ref in post["references"]:
                statuses[(post["source"], ref["line"])] = ref
    errors = {}
    for diagnostic in (report or {}).get("diagnostics", []):
        if diagnostic.get("severity") == "error" and diagnostic.get("line"):
            errors[(diagnostic.get("file"), diagnostic["line"])] = diagnostic
    result = {"rendered": [], "refused": [], "lost": []}
    for post, line, _, file in located:
        ref = statuses.get((post, line))
        error = errors.get((post, line))
        if ref and ref["status"] == "ok":
            result["rendered"].append(file)
        elif error and os.path.basename(file) in urllib.parse.unquote(error.get("message", "")):
            result["refused"].append({"file": file, "message": error["message"]})
        else:
            result["lost"].append(file)
    return result


def reference(path):
    """The source as a reference pipeline shows it: upright 8-bit sRGB (alpha kept)."""
    import pyvips

    image = pyvips.Image.new_from_file(path).autorot()
    if image.get_typeof("icc-profile-data"):
        try:
            image = image.icc_transform("srgb", embedded=True, intent="relative")
        except pyvips.Error:
            image = image.copy()
            image.remove("icc-profile-data")
            image = image.colourspace("srgb")
    elif image.interpretation == "cmyk":
        image = image.icc_transform("srgb", input_profile="cmyk", intent="relative")
    else:
        image = image.colourspace("srgb")
    if image.format != "uchar":
        # Integer samples wider than a byte span their whole range: shifted down, not clipped.
        image = image.cast("uchar", shift=image.format in ("ushort", "short", "uint", "int"))
    return image.copy_memory()


def opaque_rgb(image):
    """3-band sRGB on white, as float."""
    image = image.colourspace("srgb") if image.interpretation != "srgb" else image
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    if image.bands > 3:
        image = image.extract_band(0, n=3)
    return image.cast("float")


def resized(image, width, height):
    if image.hasalpha():
        return image.premultiply().resize(width / image.width, vscale=height / image.height,
                                          kernel="lanczos3").unpremultiply().cast("uchar")
    return image.resize(width / image.width, vscale=height / image.height, kernel="lanczos3")


def difference(variant, target):
    """(mean ΔE, max ΔE, per-channel mean difference) of two opaque float sRGB images."""
    delta = variant.colourspace("lab", source_space="srgb").dE76(target.colourspace("lab", source_space="srgb"))
    channels = [(variant[band] - target[band]).avg() for band in range(3)]
    return delta.avg(), delta.max(), channels


def compare(site, manifest):
    """Every variant of every rendered source against the reference; returns the summary."""
    import pyvips

    rows, flagged = [], []
    for image in manifest["images"]:
        if image.get("note") and "unchanged" in image["note"]:
            continue  # an animation copied as it is
        try:
            source = reference(os.path.join(site, image["source"]))
        except pyvips.Error as error:
            flagged.append({"source": image["source"], "problem": f"reference cannot be made: {error}"})
            continue
        upright = source.width / source.height
        for variant in image["variants"]:
            path = os.path.join(site, "output", variant["path"])
            row = {"source": image["source"], "variant": variant["path"], "format": variant["format"]}
            problems = []
            try:
                published = pyvips.Image.new_from_file(path)
            except pyvips.Error as error:
                flagged.append({**row, "problem": f"cannot be read: {error}"})
                continue
            if (published.width, published.height) != (variant["width"], variant["height"]):
                problems.append(f"{published.width}x{published.height}, manifest says "
                                f"{variant['width']}x{variant['height']}")
            if abs(published.width / published.height - upright) > 0.02 * upright + 1 / published.height:
                problems.append("orientation: aspect ratio is not the upright source's")
            target = opaque_rgb(resized(source, published.width, published.height))
            seen = opaque_rgb(published)
            mean, peak, channels = difference(seen, target)
            row.update(meanDeltaE=round(mean, 2), maxDeltaE=round(peak, 1), channelMean=[round(c, 2) for c in channels])
            if max(abs(c) for c in channels) > 2:
                problems.append("colour shift")
            if mean > 5:
                for name, turned in (("flipped left-right", target.fliphor()), ("flipped top-bottom", target.flipver()),
                                     ("turned 180°", target.rot180())):
                    if difference(seen, turned)[0] < mean / 2:
                        problems.append(f"orientation: matches the reference {name}")
            rows.append(row)
            if problems:
                flagged.append({**row, "problem": "; ".join(problems)})
    means = sorted(row["meanDeltaE"] for row in rows)
    return {
        "variants": len(rows),
        "meanDeltaE": {"median": means[len(means) // 2] if means else None,
                       "p95": means[int(len(means) * 0.95)] if means else None,
                       "max": means[-1] if means else None},
        "maxDeltaE": max((row["maxDeltaE"] for row in rows), default=None),
        "flagged": flagged,
        "worst": sorted(rows, key=lambda row: -row["meanDeltaE"])[:10],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vignette", required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds for the whole build")
    parser.add_argument("--file-timeout", type=int, default=120, help="seconds for one file alone")
    parser.add_argument("--compare", action="store_true", help="compare every variant's pixels with the source")
    parser.add_argument("corpora", nargs="+", help="name=folder")
    args = parser.parse_args()
    vignette = os.path.abspath(args.vignette)
    corpora = [tuple(item.split("=", 1)) for item in args.corpora]
    located = assemble(args.site, corpora)
    outcome, report, stderr = build(vignette, args.site, args.timeout)
    summary = {"files": len(located), "outcome": outcome}
    summary.update(classify(args.site, located, report))
    stderr_lines = stderr.splitlines()
    summary["stderrLines"] = len(stderr_lines)
    summary["stderrSample"] = stderr_lines[:20]
    if report:
        summary["warnings"] = report.get("warnings")
        summary["errors"] = report.get("errors")
    if outcome != "finished":
        # Which files crash or hang on their own?
        def alone(item):
            post, line, url, file = item
            name, relative = file.split("/", 1)
            folder = dict(corpora)[name]
            one = f"{args.site}-alone/{abs(hash(file))}"
            assemble(one, [(name, folder)], files={(name, relative)})
            result, _, _ = build(vignette, one, args.file_timeout)
            shutil.rmtree(one, ignore_errors=True)
            return file, result

        with ThreadPoolExecutor(max_workers=2) as pool:
            summary["culprits"] = [
                {"file": file, "outcome": result}
                for file, result in pool.map(alone, located)
                if result != "finished"
            ]
    if args.compare and report:
        summary["pixels"] = compare(args.site, json.load(open(os.path.join(args.site, "output/manifest.json"))))
    counts = {key: len(summary[key]) for key in ("rendered", "refused", "lost")}
    print(json.dumps({"counts": counts, **summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
