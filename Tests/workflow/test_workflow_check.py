"""The workflow check's own rules (run_readme_workflow.check_structure), on the README's job
and on broken copies of it: the check must find each fault."""
import copy

import yaml

import run_readme_workflow as check

WORKFLOW = yaml.safe_load(check.workflow_from_readme(check.REPO / "README.md"))


def test_the_readme_job_passes():
    assert check.check_structure(WORKFLOW) == []


def test_each_fault_is_found():
    broken = copy.deepcopy(WORKFLOW)
    broken["jobs"]["deploy"]["needs"] = "bulid"
    broken["jobs"]["deploy"]["steps"][0]["id"] = "deploy"
    steps = broken["jobs"]["build"]["steps"]
    steps[0]["with"]["submodule"] = "recursive"
    steps[4]["uses"] = "actions/checkout@v4"
    steps[5]["uses"] = "actions/cache@v9"
    assert check.check_structure(broken) == [
        "job build, step 1 (actions/checkout@v4): actions/checkout@v4 has no input 'submodule'",
        "job build, step 5 (Build Vignette): needs exactly one of uses and run",
        "job build, step 6 (Restore .vignette-cache): actions/cache@v9 is not an action this check knows",
        "job deploy: needs unknown job bulid",
        "job deploy: ${{ steps.deployment.outputs.page_url }} names step deployment, which has no such id",
    ]
