"""Runs the README's GitHub Actions job for a Hugo site (`hugo && vignette build --site
public`) here, as far as that can be done without GitHub: the YAML is parsed and checked, then
every step of the `build` job runs in the job's order in a fresh clone of a real theme's
example site (Tests/themes/papermod or stack), with a clone of this repository where the job
checks Vignette out. `run:` steps are executed exactly as written (bash -e, in the workspace,
as the runner does); `uses:` steps are stood in for: actions/checkout by the clones,
actions/cache by nothing (a cold cache, as on the first run of the job), and
upload-pages-artifact by checking that its `path` is a folder with the site's pages. The
`deploy` job (GitHub Pages) and the hosted runner itself cannot run here; this says so.

Before the job, the site repository gets what the README asks a user to commit: a
`vignette.lock.json` from one build with network access. There is no network here, so YouTube
is the browser tests' loopback stand-in, for that build and the job's, named in a committed
`pipeline.json` (the only file a real site repository would not have).

With VIGNETTE_PREBUILT=PATH the job's `swift build -c release` step is stood in for by copying
that binary to where the step puts its product (said in the output): the release build of a
fresh clone takes half an hour on a loaded 2-core machine. Without it every `run:` step runs.

Usage: python3 Tests/workflow/run_readme_workflow.py [papermod|stack] [WORKDIR]
Exits 1 when a check or a step fails. WORKDIR (default: a new temporary folder) is kept, so a
second run with the same WORKDIR reuses its `.vignette/.build` the way the job's cache would.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "themes"))
import themesite  # noqa: E402  (the themed example sites and the YouTube stand-in)

# The actions the job uses, with the inputs it may give each (from their action.yml).
KNOWN_ACTIONS = {
    "actions/checkout@v4": {"repository", "path", "submodules", "ref", "fetch-depth", "token"},
    "actions/cache@v4": {"path", "key", "restore-keys"},
    "actions/upload-pages-artifact@v3": {"path", "name", "retention-days"},
    "actions/deploy-pages@v4": {"token", "timeout", "error_count", "reporting_interval", "artifact_name", "preview"},
}


def workflow_from_readme(readme: Path) -> str:
    """The YAML block right after the README's paragraph naming `.github/workflows/site.yml`."""
    text = readme.read_text()
    at = text.index(".github/workflows/site.yml")
    match = re.compile(r"```yaml\n(.*?)```", re.S).search(text, at)
    if not match:
        raise SystemExit("README: no ```yaml block after .github/workflows/site.yml")
    return match.group(1)


def check_structure(workflow) -> list[str]:
    """What GitHub would refuse or the job would trip over, checked without GitHub."""
    problems = []
    # PyYAML reads YAML 1.1, where a bare `on` is the boolean true; GitHub reads it as a key.
    triggers = workflow.get("on", workflow.get(True))
    if not isinstance(triggers, dict) or not triggers:
        problems.append("no `on:` triggers")
    jobs = workflow.get("jobs") or {}
    if "build" not in jobs:
        problems.append("no `build` job")
    for name, job in jobs.items():
        if "runs-on" not in job:
            problems.append(f"job {name}: no runs-on")
        for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs") or []:
            if need not in jobs:
                problems.append(f"job {name}: needs unknown job {need}")
        ids = set()
        for index, step in enumerate(job.get("steps") or []):
            where = f"job {name}, step {index + 1} ({step.get('name') or step.get('uses') or step.get('id')})"
            if ("uses" in step) == ("run" in step):
                problems.append(f"{where}: needs exactly one of uses and run")
            if "uses" in step:
                inputs = KNOWN_ACTIONS.get(step["uses"])
                if inputs is None:
                    problems.append(f"{where}: {step['uses']} is not an action this check knows")
                else:
                    for key in step.get("with") or {}:
                        if key not in inputs:
                            problems.append(f"{where}: {step['uses']} has no input {key!r}")
            if "id" in step:
                ids.add(step["id"])
        for expression in re.findall(r"\$\{\{(.*?)\}\}", json.dumps(job)):
            for step_id in re.findall(r"steps\.([A-Za-z0-9_-]+)\.", expression):
                if step_id not in ids:
                    problems.append(f"job {name}: ${{{{{expression}}}}} names step {step_id}, which has no such id")
    return problems


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


def site_repository(theme: str, work: Path, youtube) -> Path:
    """A git repository of the theme's example site as a user keeps it: the site, its theme,
    and the `vignette.lock.json` from one build with network access (the stand-in here)."""
    origin = work / "origin"
    shutil.rmtree(origin, ignore_errors=True)
    site = themesite.copy_site(theme, origin)
    (site / ".gitignore").write_text("public/\nresources/\n.vignette/\n.vignette-cache/\n.hugo_build.lock\n")
    themesite.hugo(site)
    run = themesite.vignette_site(site, youtube)
    if run.returncode != 0:
        raise SystemExit(f"preparing the lockfile failed:\n{run.stdout}{run.stderr}")
    for name in ("public", ".vignette-cache", "resources"):
        shutil.rmtree(site / name, ignore_errors=True)
    git("init", "-q", "-b", "main", cwd=site)
    git("add", "-A", cwd=site)
    git("-c", "user.name=check", "-c", "user.email=check@localhost", "commit", "-qm", "site", cwd=site)
    return site


def checkout(step, workspace: Path, site_origin: Path):
    """actions/checkout: the site repository into the workspace, or `repository:` (Vignette,
    here this repository's HEAD) into `path:`."""
    inputs = step.get("with") or {}
    if "repository" in inputs:
        target = workspace / inputs.get("path", ".")
        if (target / ".git").exists():
            git("fetch", "-q", str(REPO), "HEAD", cwd=target)
            git("checkout", "-q", "--force", "FETCH_HEAD", cwd=target)
        else:
            git("clone", "-q", str(REPO), str(target), cwd=workspace)
            git("checkout", "-q", "--force", subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip(),
                cwd=target)
        return f"cloned this repository's HEAD into {inputs.get('path', '.')}"
    for entry in workspace.iterdir():
        if entry.name not in (".vignette",):
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    clone = workspace / ".clone"
    git("clone", "-q", "--recurse-submodules", str(site_origin), str(clone), cwd=workspace)
    for entry in clone.iterdir():
        entry.rename(workspace / entry.name)
    clone.rmdir()
    return "cloned the site repository into the workspace"


def main() -> int:
    theme = sys.argv[1] if len(sys.argv) > 1 else "papermod"
    work = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="vignette-workflow-"))
    work.mkdir(parents=True, exist_ok=True)
    text = workflow_from_readme(REPO / "README.md")
    workflow = yaml.safe_load(text)
    problems = check_structure(workflow)
    for problem in problems:
        print(f"workflow: {problem}")
    if problems:
        return 1
    print("workflow: valid YAML; jobs, steps, actions and their inputs check out")
    youtube = themesite.YouTube(work)
    try:
        return run_job(workflow, theme, work, youtube)
    finally:
        youtube.close()


def run_job(workflow, theme: str, work: Path, youtube) -> int:
    site_origin = site_repository(theme, work, youtube)
    workspace = work / "workspace"
    workspace.mkdir(exist_ok=True)
    env = {**os.environ, "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace),
           "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "NO_COLOR": "1"}
    failed = False
    for index, step in enumerate(workflow["jobs"]["build"]["steps"]):
        name = step.get("name") or step.get("uses")
        condition = step.get("if")
        if condition and condition.strip() not in ("github.event_name == 'push'",):
            print(f"step {index + 1} ({name}): condition {condition!r} not understood here")
            failed = True
            break
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            print(f"step {index + 1} ({name}): {checkout(step, workspace, site_origin)}")
        elif uses.startswith("actions/cache@"):
            print(f"step {index + 1} ({name}): stood in for by nothing (a cold cache, as on the job's first run)")
        elif uses.startswith("actions/upload-pages-artifact@"):
            folder = workspace / step["with"]["path"]
            pages = list(folder.rglob("*.html")) if folder.is_dir() else []
            ok = bool(pages) and (folder / "index.html").is_file()
            print(f"step {index + 1} ({name}): {folder.relative_to(workspace)} has {len(pages)} pages"
                  f"{'' if ok else ', no index.html: nothing to publish'}")
            failed = failed or not ok
        elif os.environ.get("VIGNETTE_PREBUILT") and step["run"].lstrip().startswith("swift build -c release"):
            product = workspace / ".vignette" / ".build" / "release" / "vignette"
            product.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(os.environ["VIGNETTE_PREBUILT"], product)
            print(f"step {index + 1} ({name}): stood in for by VIGNETTE_PREBUILT (not built here)")
        else:
            print(f"step {index + 1} ({name}): run")
            run = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workspace, env=env)
            if run.returncode != 0:
                print(f"step {index + 1} ({name}): failed with exit status {run.returncode}")
                failed = True
                break
    print("not run here: the deploy job (actions/deploy-pages), the hosted runner and its container image")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
