"""The ready-made CI workflows in ``examples/ci/`` and the pre-commit hook definition.

The workflows are read as GitHub Actions and GitLab CI read them (YAML, then their keys), so
these tests check what a team gets when it copies them: when they run, that the drills run
and fail the job, that reports and history survive a failed night, and that every command
they run is one the README documents. The hook manifest is checked with pre-commit's own
schema, and its entry is run the way pre-commit runs it.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from drillbook.cli import SUBCOMMANDS
from pre_commit.clientlib import (  # type: ignore[import-untyped]
    InvalidManifestError,
    load_config,
    load_manifest,
)

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / "examples" / "ci"
GITHUB = CI / "github-actions.yml"
GITLAB = CI / "gitlab-ci.yml"
PRE_COMMIT_EXAMPLE = CI / "pre-commit-config.yaml"
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
README = ROOT / "README.md"
README_SECTION = "## Scheduled drills in CI"
CLEAN_RUNBOOK = Path(__file__).parent / "fixtures" / "lint" / "clean" / "runbooks" / "api-down.yaml"

INSTALL = 'pip install -e ".[dev]"'
DRILLS = "pytest drills/ -n auto --junitxml=reports/junit.xml"
DASHBOARD = "drillbook dashboard --out site"
HISTORY = "reports/history.sqlite"
JUNIT = "reports/junit.xml"
# Files a drill session leaves (README, "Reports") and the dashboard's site: all kept.
PRODUCED = [
    "reports/drill-report.json",
    "reports/drill-report.html",
    "reports/runs/20240101T000000Z-abc123/drill-report.json",
    JUNIT,
    "site/index.html",
]
# What would hide pytest's exit code from the CI runner.
SWALLOWERS = re.compile(r"\|\||;|(?<![|])\|(?![|])|&|\bset\s+\+e\b|\bexit\s+0\b|\btrue\b")
GITLAB_KEYWORDS = {
    "stages",
    "variables",
    "default",
    "workflow",
    "include",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
}


# -- reading shell text as a shell would --------------------------------------------------


def strip_comment(line: str) -> str:
    """``line`` without its shell comment: a ``#`` that starts a word outside quotes."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()


def shell_commands(text: str) -> list[str]:
    """The commands in a script: comments dropped, continued lines joined, blanks left out."""
    commands: list[str] = []
    pending: list[str] = []
    for raw in text.splitlines():
        line = strip_comment(raw).strip()
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        joined = " ".join(part for part in [*pending, line] if part)
        pending = []
        if joined:
            commands.append(joined)
    if pending:
        commands.append(" ".join(pending))
    return commands


def script_lines(value: Any) -> list[str]:
    """The lines of a GitLab ``script``-like value: a string or a (nested) list of them."""
    if value is None:
        return []
    if isinstance(value, str):
        return shell_commands(value)
    assert isinstance(value, list), f"a script must be a string or a list, not {value!r}"
    return [command for item in value for command in script_lines(item)]


def readme_section_commands(readme: str) -> list[str]:
    """The commands in the ```sh blocks of the README's CI section."""
    lines = readme.splitlines()
    assert README_SECTION in lines, (
        f"README.md has no line {README_SECTION!r}: merge the section that lists the CI commands"
    )
    start = lines.index(README_SECTION) + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("## ")),
        len(lines),
    )
    section = "\n".join(lines[start:end])
    blocks = re.findall(r"^```sh\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    return [command for block in blocks for command in shell_commands(block)]


# -- reading the workflows ----------------------------------------------------------------


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: not a mapping"
    return data


def github_job(doc: dict[Any, Any]) -> dict[str, Any]:
    jobs = doc["jobs"]
    assert list(jobs) == ["drills"], "one job, named drills"
    job: dict[str, Any] = jobs["drills"]
    return job


def github_steps(doc: dict[Any, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = github_job(doc)["steps"]
    return steps


def step_index(steps: list[dict[str, Any]], *, run: str = "", uses: str = "") -> int:
    """The position of the one step that runs ``run`` or uses an action starting ``uses``."""
    found = [
        index
        for index, step in enumerate(steps)
        if (run and run in shell_commands(step.get("run", "")))
        or (uses and str(step.get("uses", "")).startswith(uses))
    ]
    assert len(found) == 1, f"expected one step with run={run!r} uses={uses!r}, found {found}"
    return found[0]


def runs_always(condition: Any) -> bool:
    """Whether a GitHub ``if:`` lets the step run after an earlier step failed."""
    text = str(condition or "").replace("${{", "").replace("}}", "").strip()
    return text in {"always()", "!cancelled()"}


def github_commands(doc: dict[Any, Any]) -> list[str]:
    return [
        command for step in github_steps(doc) for command in shell_commands(step.get("run", ""))
    ]


def gitlab_jobs(doc: dict[Any, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: job
        for name, job in doc.items()
        if name not in GITLAB_KEYWORDS and not str(name).startswith(".") and isinstance(job, dict)
    }


def gitlab_commands(doc: dict[Any, Any]) -> list[str]:
    parts: list[dict[str, Any]] = [doc, doc.get("default") or {}, *gitlab_jobs(doc).values()]
    return [
        command
        for part in parts
        for key in ("before_script", "script", "after_script")
        for command in script_lines(part.get(key))
    ]


def covered(path: str, patterns: list[str]) -> bool:
    """Whether an artifact pattern (a glob, or a directory ending in /) keeps ``path``."""
    return any(
        path.startswith(pattern) if pattern.endswith("/") else fnmatch.fnmatch(path, pattern)
        for pattern in patterns
    )


def lines_of(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item).strip() for item in value]
    return [line.strip() for line in str(value).splitlines() if line.strip()]


# -- the helpers themselves ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pytest drills/   # all of them", ["pytest drills/"]),
        ("echo \"a # b\" 'c # d'  # e", ["echo \"a # b\" 'c # d'"]),
        ("curl x#y", ["curl x#y"]),
        ("# only a comment\n\n", []),
        (
            "pytest drills/ \\\n   -n auto \\\n   --junitxml=r.xml\nls",
            ["pytest drills/ -n auto --junitxml=r.xml", "ls"],
        ),
    ],
)
def test_shell_commands_reads_lines_as_a_shell(text: str, expected: list[str]) -> None:
    assert shell_commands(text) == expected


def test_readme_section_is_found_and_ends_at_the_next_section() -> None:
    readme = (
        "# x\n```sh\nnot this\n```\n## Scheduled drills in CI\ntext\n```sh\na b   # c\n```\n"
        "```yaml\nk: v\n```\n## Next\n```sh\nnor this\n```\n"
    )
    assert readme_section_commands(readme) == ["a b"]
    with pytest.raises(AssertionError, match="merge the section"):
        readme_section_commands("# nothing here\n")


@pytest.mark.parametrize(
    "command",
    [f"{DRILLS} || true", f"{DRILLS}; exit 0", f"{DRILLS} | tee log", f"set +e; {DRILLS}"],
)
def test_swallowing_is_recognised(command: str) -> None:
    assert SWALLOWERS.search(command)
    assert not SWALLOWERS.search(DRILLS)


# -- GitHub Actions -----------------------------------------------------------------------


def test_github_runs_nightly_and_on_demand() -> None:
    doc = load(GITHUB)
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert isinstance(on, dict), "`on:` must be a mapping of triggers"
    assert set(on) == {"schedule", "workflow_dispatch"}
    [entry] = on["schedule"]
    minute, hour, day, month, weekday = entry["cron"].split()
    assert minute.isdigit() and int(minute) < 60
    assert hour.isdigit() and int(hour) < 24, "once a night: one fixed hour"
    assert (day, month, weekday) == ("*", "*", "*"), "every night"


def test_github_installs_with_the_readmes_command_on_python_311() -> None:
    steps = github_steps(load(GITHUB))
    assert github_job(load(GITHUB))["runs-on"] == "ubuntu-latest"
    checkout = step_index(steps, uses="actions/checkout@")
    python = step_index(steps, uses="actions/setup-python@")
    install = step_index(steps, run=INSTALL)
    drills = step_index(steps, run=DRILLS)
    assert checkout < python < install < drills
    assert steps[python]["with"]["python-version"] == "3.11"  # a string: 3.10 would be 3.1


def test_github_drill_step_fails_the_job_when_a_drill_fails() -> None:
    doc = load(GITHUB)
    job = github_job(doc)
    steps = github_steps(doc)
    drill = steps[step_index(steps, run=DRILLS)]
    assert shell_commands(drill["run"]) == [DRILLS]
    assert "continue-on-error" not in drill
    assert "continue-on-error" not in job
    assert drill.get("shell", "bash") == "bash", "the default bash stops on the first error"
    assert "if" not in drill, "the drills always run once installed"
    for command in github_commands(doc):
        assert not SWALLOWERS.search(command), f"{command!r} could hide a failure"


def test_github_builds_the_dashboard_and_keeps_everything_even_after_a_failure() -> None:
    steps = github_steps(load(GITHUB))
    drills = step_index(steps, run=DRILLS)
    dashboard = step_index(steps, run=DASHBOARD)
    upload = step_index(steps, uses="actions/upload-artifact@")
    save = step_index(steps, uses="actions/cache/save@")
    assert drills < dashboard < upload, "the dashboard goes into the artifacts"
    assert drills < save
    for later in steps[drills + 1 :]:
        assert runs_always(later.get("if")), f"{later.get('name')!r} is skipped when drills fail"
    kept = lines_of(steps[upload]["with"]["path"])
    missing = [path for path in PRODUCED if not covered(path, kept)]
    assert not missing, f"artifacts leave out {missing}"


def test_github_restores_and_saves_the_history_under_a_new_key_each_run() -> None:
    steps = github_steps(load(GITHUB))
    restore = steps[step_index(steps, uses="actions/cache/restore@")]
    save = steps[step_index(steps, uses="actions/cache/save@")]
    assert step_index(steps, uses="actions/cache/restore@") < step_index(steps, run=DRILLS)
    assert lines_of(restore["with"]["path"]) == [HISTORY]
    assert lines_of(save["with"]["path"]) == [HISTORY]
    key = restore["with"]["key"]
    assert "github.run_id" in key, "a cache entry is immutable: each run needs its own key"
    prefixes = lines_of(restore["with"]["restore-keys"])
    assert prefixes
    assert all(key.startswith(prefix) and "${{" not in prefix for prefix in prefixes)
    saved_key = save["with"]["key"].replace(" ", "")
    assert saved_key in {
        key.replace(" ", ""),
        f"${{{{steps.{restore['id']}.outputs.cache-primary-key}}}}",
    }


# -- GitLab CI ----------------------------------------------------------------------------


def drills_job(doc: dict[Any, Any]) -> dict[str, Any]:
    found = [job for job in gitlab_jobs(doc).values() if DRILLS in script_lines(job.get("script"))]
    assert len(found) == 1, "one job runs the drills"
    return found[0]


def rule_conditions(job: dict[str, Any]) -> list[str]:
    return [" ".join(str(rule.get("if", "")).split()) for rule in job.get("rules", [])]


def test_gitlab_runs_on_schedules_and_from_the_web_only() -> None:
    doc = load(GITLAB)
    assert rule_conditions(drills_job(doc)) == [
        '$CI_PIPELINE_SOURCE == "schedule"',
        '$CI_PIPELINE_SOURCE == "web"',
    ]
    for name, job in gitlab_jobs(doc).items():
        conditions = rule_conditions(job)
        assert conditions, f"{name} has no rules: it would run on every push"
        for condition in conditions:
            assert re.search(r'\$CI_PIPELINE_SOURCE == "(schedule|web)"', condition), (
                name,
                condition,
            )


def test_gitlab_drill_job_installs_runs_and_fails_with_pytest() -> None:
    doc = load(GITLAB)
    job = drills_job(doc)
    assert script_lines(job["script"]) == [INSTALL, DRILLS]
    assert str(job.get("image", "")).startswith("python:3.11")
    assert not job.get("allow_failure", False), "allow_failure would hide failed drills"
    for command in gitlab_commands(doc):
        assert not SWALLOWERS.search(command), f"{command!r} could hide a failure"


def test_gitlab_caches_the_history_also_after_a_failure() -> None:
    cache = drills_job(load(GITLAB))["cache"]
    caches = cache if isinstance(cache, list) else [cache]
    history = [entry for entry in caches if HISTORY in entry.get("paths", [])]
    assert len(history) == 1, "reports/history.sqlite is cached"
    assert history[0].get("when") == "always", "saved when drills failed too"
    assert history[0].get("policy", "pull-push") == "pull-push"


def test_gitlab_builds_the_dashboard_and_keeps_everything_even_after_a_failure() -> None:
    job = drills_job(load(GITLAB))
    assert DASHBOARD in script_lines(job.get("after_script")), "after_script runs after failures"
    artifacts = job.get("artifacts", {})
    assert artifacts.get("when") == "always", "artifacts are kept when drills failed too"
    assert artifacts.get("reports", {}).get("junit") == JUNIT, "the Tests tab reads the JUnit XML"
    missing = [path for path in PRODUCED if not covered(path, lines_of(artifacts.get("paths")))]
    assert not missing, f"artifacts leave out {missing}"


def test_gitlab_pages_publishes_the_dashboard_from_the_drill_job() -> None:
    doc = load(GITLAB)
    pages = gitlab_jobs(doc)["pages"]
    assert script_lines(pages["script"]) == ["mv site public"]
    assert pages["artifacts"]["paths"] == ["public"]
    assert [need["job"] for need in pages["needs"]] == ["drills"]
    assert all(rule.get("when") == "always" for rule in pages["rules"]), "published after failures"
    assert all("$DRILLBOOK_PAGES" in condition for condition in rule_conditions(pages)), "opt-in"
    assert doc["stages"].index(pages["stage"]) > doc["stages"].index(drills_job(doc)["stage"])


# -- the README ---------------------------------------------------------------------------


def test_every_ci_command_is_the_readmes() -> None:
    """The README's CI section lists exactly the commands the two workflows run."""
    in_ci = set(github_commands(load(GITHUB))) | set(gitlab_commands(load(GITLAB)))
    assert {INSTALL, DRILLS, DASHBOARD} <= in_ci
    documented = readme_section_commands(README.read_text(encoding="utf-8"))
    assert sorted(in_ci - set(documented)) == [], "run in CI, missing from the README"
    assert sorted(set(documented) - in_ci) == [], "in the README's CI section, run by no workflow"


# -- the pre-commit hook ------------------------------------------------------------------


def manifest_hook() -> dict[str, Any]:
    hooks = load_manifest(str(MANIFEST))
    [hook] = [hook for hook in hooks if hook["id"] == "drillbook-lint"]
    assert isinstance(hook, dict)
    return hook


def test_manifest_is_valid_for_pre_commit() -> None:
    hook = manifest_hook()
    assert hook["entry"] == "drillbook lint"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert hook["args"] == []


def test_pre_commit_schema_rejects_a_broken_manifest(tmp_path: Path) -> None:
    """The check above can fail: the same loader refuses a hook without an entry."""
    broken = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    del broken[0]["entry"]
    path = tmp_path / ".pre-commit-hooks.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(InvalidManifestError, match="entry"):
        load_manifest(str(path))


def test_example_config_is_valid_and_uses_the_hook() -> None:
    config = load_config(str(PRE_COMMIT_EXAMPLE))
    ids = [hook["id"] for repo in config["repos"] for hook in repo["hooks"]]
    assert ids == [manifest_hook()["id"]]
    assert all(repo["rev"] for repo in config["repos"])


@pytest.mark.parametrize(
    ("name", "matched"),
    [
        ("runbooks/database-outage.yaml", True),
        ("drills/payment-failure-drill.yml", True),
        ("ops/runbooks/auth.yaml", True),
        ("runbooks/README.md", False),
        ("fixtures/environments/reference.yaml", False),
        ("myrunbooks/x.yaml", False),
        (".github/workflows/drills.yml", False),
    ],
)
def test_hook_picks_runbook_and_drill_yaml_only(name: str, matched: bool) -> None:
    hook = manifest_hook()
    selected = bool(re.search(hook["files"], name)) and not re.search(hook["exclude"], name)
    assert selected is matched


def write_workspace(root: Path) -> None:
    """A repository with one good runbook, one runbook with an error, one elsewhere."""
    good = CLEAN_RUNBOOK.read_text(encoding="utf-8")
    bad = good.replace("severity: P2", "severity: P9")
    assert bad != good
    for relative, text in {
        "runbooks/good.yaml": good,
        "runbooks/bad.yaml": bad,
        "docs/bad-example.yaml": bad,
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")


def entry_command(hook: dict[str, Any]) -> list[str]:
    """The hook's command as pre-commit builds it: ``shlex.split(entry) + args``."""
    program, *rest = shlex.split(hook["entry"])
    found = shutil.which(program, path=str(Path(sys.executable).parent))
    assert found, f"{program} is not installed next to {sys.executable}"
    return [found, *rest, *hook["args"], "--no-path-check"]


def test_entry_is_a_drillbook_subcommand() -> None:
    program, subcommand, *_ = shlex.split(manifest_hook()["entry"])
    assert program == "drillbook"
    assert subcommand in SUBCOMMANDS


@pytest.mark.parametrize(("name", "status"), [("runbooks/good.yaml", 0), ("runbooks/bad.yaml", 1)])
def test_entry_lints_the_files_it_is_given(tmp_path: Path, name: str, status: int) -> None:
    write_workspace(tmp_path)
    result = subprocess.run(
        [*entry_command(manifest_hook()), name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == status, result.stdout + result.stderr
    if status:
        assert re.search(rf"^{re.escape(name)}:\d+:\d+: error\[", result.stdout, re.MULTILINE)


def pre_commit(root: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit run --files ...`` with the manifest's hook as a local, installed tool."""
    hook = {**manifest_hook(), "language": "system", "args": ["--no-path-check"]}
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(root / ".pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--files", *files],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[Path]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed: pre-commit needs a git repository")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=30)
    write_workspace(tmp_path)
    yield tmp_path


def test_pre_commit_runs_the_hook_on_matching_files_only(repository: Path) -> None:
    passed = pre_commit(repository, "runbooks/good.yaml", "docs/bad-example.yaml")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^drillbook lint \(runbooks and drills\)\.+Passed$", passed.stdout, re.M)

    failed = pre_commit(repository, "runbooks/good.yaml", "runbooks/bad.yaml")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"^drillbook lint \(runbooks and drills\)\.+Failed$", failed.stdout, re.M)
    assert "runbooks/bad.yaml:" in failed.stdout
    assert "docs/bad-example.yaml" not in passed.stdout + failed.stdout
