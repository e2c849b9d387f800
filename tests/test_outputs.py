"""CI and editor outputs, checked with the readers that consume them (junitparser, the SARIF schema, the
GitHub Actions escaping rules, the VS Code problem matcher from the docs)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT, SHARED, SHOP_APP

DEPLOYMENT = SHOP_APP
BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
PIDS_ONLY = """\
[settings.kubernetes]
[settings.kubernetes.eviction-hard]
"memory.available" = "5%"
"nodefs.available" = "10%"
"nodefs.inodesFree" = "5%"
"imagefs.available" = "15%"
[settings.kubernetes.system-reserved]
cpu = "100m"
"""


def forewarn(*args, cwd=None, stdin=None, env=None):
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1", "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([sys.executable, "-m", "forewarn", *args], cwd=cwd or ROOT, capture_output=True, text=True,
                          input=stdin, env={**base, **(env or {})})


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "cart.yaml").write_text(DEPLOYMENT.format(name="cart"))
    (root / "apps" / "quiet.yaml").write_text(
        "# forewarn: ignore-file[K8S001] behind a TCP load balancer\n" + DEPLOYMENT.format(name="quiet"))
    (root / "apps" / "clean.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {k: v}\n")
    (root / "apps" / "broken & <odd>.yaml").write_text(BROKEN)
    (root / "nodes").mkdir()
    (root / "nodes" / "settings.toml").write_text(PIDS_ONLY)
    return root


# ------------------------------------------------------------------------------------ JUnit
def test_junit_parses_one_suite_per_file_one_case_per_finding(repo):
    junitparser = pytest.importorskip("junitparser")
    proc = forewarn(".", "--format", "junit", cwd=repo)
    assert proc.returncode == 1
    xml = junitparser.JUnitXml.fromstring(proc.stdout)
    suites = {s.name: s for s in xml}
    assert set(suites) == {"apps/cart.yaml", "apps/quiet.yaml", "apps/clean.yaml", "apps/broken & <odd>.yaml",
                           "nodes/settings.toml"}
    cart = list(suites["apps/cart.yaml"])
    assert [c.name for c in cart] == ["K8S001 prestop-missing at 14:11"]
    [failure] = cart[0].result
    assert isinstance(failure, junitparser.Failure) and failure.type == "warning"
    assert "help:" in failure.text and "apps/cart.yaml:14:11" in failure.text
    assert suites["apps/cart.yaml"].failures == 1 and suites["apps/cart.yaml"].tests == 1
    # suppressed: skipped with the reason
    [quiet] = list(suites["apps/quiet.yaml"])
    assert isinstance(quiet.result[0], junitparser.Skipped)
    assert "behind a TCP load balancer" in quiet.result[0].message
    # a file without findings: one passing test
    [ok] = list(suites["apps/clean.yaml"])
    assert ok.is_passed
    # info below --fail-on: a passing test that still says what it found
    [pids] = list(suites["nodes/settings.toml"])
    assert pids.is_passed and "BR013" in pids.name and "pod-pids-limit" in (pids.system_out or "")
    assert xml.failures == 2 and xml.skipped == 1  # K8S001 + E001


def test_junit_failures_follow_fail_on(repo):
    junitparser = pytest.importorskip("junitparser")
    xml = junitparser.JUnitXml.fromstring(forewarn(".", "--format", "junit", "--fail-on", "info", cwd=repo).stdout)
    assert xml.failures == 3
    xml = junitparser.JUnitXml.fromstring(forewarn(".", "--format", "junit", "--fail-on", "never", cwd=repo).stdout)
    assert xml.failures == 0


# ------------------------------------------------------------------------------------ GitHub
def test_github_workflow_commands(repo):
    proc = forewarn(".", "--format", "github", cwd=repo)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("::error file=apps/broken & <odd>.yaml,line=5,col=3,title=E001 parse-error::duplicate key")
    assert any(line.startswith("::warning file=apps/cart.yaml,line=14,col=11,title=K8S001 prestop-missing::")
               for line in lines)
    assert any(line.startswith("::notice file=nodes/settings.toml,") and "BR013" in line for line in lines)
    assert not any("quiet.yaml" in line for line in lines)  # suppressed


def test_github_escaping_follows_the_actions_toolkit():
    from forewarn.render.github import escape_data, escape_property

    assert escape_data("50% of 2\r\nlines: a,b") == "50%25 of 2%0D%0Alines: a,b"
    assert escape_property("dir:with,comma%\n") == "dir%3Awith%2Ccomma%25%0A"
    from forewarn.catalog import load_catalog
    from forewarn.findings import Finding, Severity
    from forewarn.render.github import render_github
    from forewarn.scan import ScanResult

    f = Finding("K8S001", "prestop-missing", Severity.WARNING, "line one\nline 2: 100%", "a:b,c.yaml", 3, 4)
    out = render_github(ScanResult(findings=[f], catalog=load_catalog()))
    assert out == "::warning file=a%3Ab%2Cc.yaml,line=3,col=4,title=K8S001 prestop-missing::line one%0Aline 2: 100%25\n"


# ------------------------------------------------------------------------------------ SARIF
def _sarif(repo, *args):
    return json.loads(forewarn(".", "--format", "sarif", *args, cwd=repo).stdout)


def test_sarif_valid_with_line_independent_fingerprints_and_suppressions(repo):
    before = _sarif(repo)
    schema_path = SHARED / "schemas" / "sarif-schema-2.1.0.json"
    if schema_path.exists():
        import jsonschema

        jsonschema.validate(before, json.loads(schema_path.read_text()), cls=jsonschema.Draft4Validator)
    cart = repo / "apps" / "cart.yaml"
    cart.write_text("# owned by team-basket\n# runbook: https://wiki.example.com/cart\n" + cart.read_text())
    after = _sarif(repo)

    def by_rule(log):
        return {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]):
                (r["partialFingerprints"]["forewarn/v2"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
                for r in log["runs"][0]["results"]}

    b, a = by_rule(before), by_rule(after)
    key = ("K8S001", "apps/cart.yaml")
    assert a[key][1] == b[key][1] + 2  # the finding moved two lines down ...
    assert a[key][0] == b[key][0]  # ... and code scanning still sees the same finding
    quiet = [r for r in after["runs"][0]["results"] if "quiet" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]]
    assert quiet[0]["suppressions"][0]["kind"] == "inSource"
    assert {r["id"] for r in after["runs"][0]["tool"]["driver"]["rules"]} >= {"E002", "E003", "E004"}


def test_sarif_baseline_state_and_external_suppression(repo):
    forewarn("baseline", ".", cwd=repo)
    (repo / "apps" / "checkout.yaml").write_text(DEPLOYMENT.format(name="checkout"))
    log = _sarif(repo, "--baseline", ".forewarn-baseline.json")
    states = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r for r in log["runs"][0]["results"]}
    assert states[("K8S001", "apps/checkout.yaml")]["baselineState"] == "new"
    old = states[("K8S001", "apps/cart.yaml")]
    assert old["baselineState"] == "unchanged" and old["suppressions"][0]["kind"] == "external"


# ------------------------------------------------------------------------------------ several reports
def test_text_to_terminal_and_sarif_and_junit_to_files(repo, tmp_path):
    sarif, junit = tmp_path / "out" / "r.sarif", tmp_path / "r.xml"
    (tmp_path / "out").mkdir()
    proc = forewarn(".", "--format", "text", "--format", f"sarif:{sarif}", "--format", f"junit:{junit}", cwd=repo)
    assert proc.returncode == 1
    assert "help:" in proc.stdout and "K8S001" in proc.stdout
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert junit.read_text().startswith("<?xml")


def test_output_pairs_in_order_as_in_the_long_form(repo, tmp_path):
    report = tmp_path / "report.sarif"
    proc = forewarn(".", "--format", "concise", "--format", "sarif", "--output", "-", "--output", str(report), cwd=repo)
    assert proc.stdout.startswith("apps/broken & <odd>.yaml:5:3: error E001")
    assert json.loads(report.read_text())["runs"]


def test_output_alone_infers_the_format_from_the_suffix(repo, tmp_path):
    target = tmp_path / "findings.sarif"
    proc = forewarn(".", "-o", str(target), cwd=repo)
    assert proc.stdout == "" and json.loads(target.read_text())["version"] == "2.1.0"


@pytest.mark.parametrize("args,needle", [
    (["--format", "text", "--format", "json"], "would go to standard output"),
    (["--format", "json", "--output", "a.json", "--output", "b.json"], "give one --output per such --format"),
    (["--format", "text", "--format", "junit", "--output", "r.xml"], "give one --output per such --format"),
    (["--format", "yaml"], "invalid format 'yaml'"),
    (["--format", "sarif:/nonexistent/dir/r.sarif"], "cannot write the sarif report"),
    # each file takes one report: the second used to overwrite the first silently
    (["--format", "sarif:out", "--format", "junit:out"], "2 reports (sarif, junit) would be written to the same file"),
    (["--format", "sarif", "--format", "junit", "-o", "out", "-o", "./out"], "would be written to the same file"),
    (["--format", "sarif:"], "'sarif:' names no file"),  # used to go to standard output
    (["--format", "json", "--output", ""], "--output names no file"),
])
def test_report_usage_errors_exit_2(repo, args, needle):
    proc = forewarn(".", *args, cwd=repo)
    assert proc.returncode == 2 and needle in proc.stderr, proc.stderr
    assert not (repo / "out").exists() and proc.stdout == ""  # nothing written before the usage error


# ------------------------------------------------------------------------------------ humans and editors
def test_text_groups_by_file_with_frame_help_and_summary_table(repo):
    proc = forewarn(".", cwd=repo)
    out = proc.stdout
    assert out.index("apps/broken & <odd>.yaml\n") < out.index("apps/cart.yaml\n") < out.index("nodes/settings.toml\n")
    assert ">" in out and "14 |         - name: cart" in out and "help:" in out
    assert re.search(r"^K8S001\s+prestop-missing\s+warning\s+1$", out, re.M)
    assert not re.search(r"[ \t]$", out, re.M)  # no trailing blanks in logs
    assert "1 suppressed" in out and "\x1b[" not in out


def test_text_summary_is_one_line_however_deep_the_repository(tmp_path):
    """CI clones into deep paths; the summary names the context root and must not wrap at 110 columns
    (a wrapped "1\nsuppressed" broke a grep, and CI, once)."""
    deep = tmp_path / ("very-long-directory-name-" * 6) / "repo"
    (deep / "apps").mkdir(parents=True)
    (deep / ".git").mkdir()
    (deep / "apps" / "cart.yaml").write_text(
        "# forewarn: ignore-file[K8S001] behind a TCP load balancer\n" + DEPLOYMENT.format(name="cart"))
    (deep / "apps" / "other.yaml").write_text(DEPLOYMENT.format(name="other"))
    proc = forewarn("apps/cart.yaml", "--context", str(deep), cwd=deep)
    last = proc.stdout.splitlines()[-1]
    assert len(last) > 110 and last.startswith("forewarn: 1 file(s)") and last.endswith("1 suppressed"), proc.stdout
    located = forewarn(str(deep / "apps" / "other.yaml"), cwd=tmp_path).stdout
    assert re.search(r"^  (very-long-directory-name-){6}/repo/apps/other.yaml:\d+:\d+: warning K8S001 prestop-missing$",
                     located, re.M), located


def test_text_frame_for_a_template_read_from_disk(tmp_path):
    """Findings in a template rendered by templatefile() show its lines even though no loader kept its text."""
    from forewarn.findings import Finding, Severity
    from forewarn.catalog import load_catalog
    from forewarn.render.text import render_text
    from forewarn.scan import ScanResult

    tpl = tmp_path / "bottlerocket.tpl"
    tpl.write_text("[settings.kubernetes]\nmax-pods = ${max_pods}\n")
    f = Finding("BR001", "eviction-hard-missing", Severity.WARNING, "no eviction-hard", str(tpl), 1, 1)
    out = render_text(ScanResult(findings=[f], catalog=load_catalog()))
    assert "1 | [settings.kubernetes]" in out


def _docs_text() -> str:
    for name in ("README.md",):
        text = (ROOT / name).read_text() if (ROOT / name).exists() else ""
        if '"problemMatcher"' in text:
            return text
    pytest.fail("no VS Code problem matcher in README.md")


def test_vscode_problem_matcher_from_the_docs_reads_concise_output(repo):
    text = _docs_text()
    block = re.search(r"```json\n(.*?)```", text, re.S).group(1)
    task = json.loads(block)["tasks"][0]
    matcher = task["problemMatcher"]["pattern"]
    regexp = re.compile(matcher["regexp"])  # the JS regex subset it uses means the same in Python
    proc = forewarn(*task["args"], cwd=repo)
    lines = proc.stdout.splitlines()
    assert lines
    parsed = []
    for line in lines:
        m = regexp.match(line)
        assert m, f"problem matcher misses {line!r}"
        parsed.append((m.group(matcher["file"]), int(m.group(matcher["line"])), int(m.group(matcher["column"])),
                       m.group(matcher["severity"]), m.group(matcher["code"]), m.group(matcher["message"])))
    assert ("apps/broken & <odd>.yaml", 5, 3, "error", "E001") in [p[:5] for p in parsed]
    assert ("apps/cart.yaml", 14, 11, "warning", "K8S001") in [p[:5] for p in parsed]
    assert all(p[3] in ("error", "warning", "info") for p in parsed)  # VS Code's severities
    # a Windows path and a message that itself holds "file:1:2: error X1" are still split right
    m = regexp.match(r"C:\infra\a.yaml:3:4: warning K8S001 see b.yaml:1:2: error X001 y")
    assert m.group(matcher["file"]) == r"C:\infra\a.yaml" and m.group(matcher["line"]) == "3"


def test_vim_errorformat_from_the_docs_is_the_concise_shape():
    text = _docs_text()
    efm = re.search(r"setlocal errorformat=(.+)$", text, re.M).group(1).strip()
    # %f:%l:%c:\ %trror\ %m — each alternative maps to one severity word of concise output
    assert efm.split(",") == [r"%f:%l:%c:\ %trror\ %m", r"%f:%l:%c:\ %tarning\ %m", r"%f:%l:%c:\ %tnfo\ %m"]


def test_stdin_filename_for_unsaved_buffers():
    proc = forewarn("-", "--stdin-filename", "deploy/cm.yaml", "--format", "concise", stdin=BROKEN)
    assert proc.stdout.startswith("deploy/cm.yaml:5:3: error E001")


def test_progress_bar_only_on_a_terminal_outside_ci(monkeypatch):
    from forewarn.cli import _LazyProgress

    class Args:
        no_progress = False

    class TTY:
        def isatty(self):
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(sys, "stderr", TTY())
    assert _LazyProgress.wanted(Args())
    monkeypatch.setenv("CI", "true")
    assert not _LazyProgress.wanted(Args())
    monkeypatch.delenv("CI")
    Args.no_progress = True
    assert not _LazyProgress.wanted(Args())


def test_progress_bar_waits_a_second_then_draws_on_stderr(monkeypatch):
    import io

    from rich.console import Console

    from forewarn import cli

    bar = cli._LazyProgress()
    bar(  "reading", 1, 10)
    assert bar.bar is None  # a fast scan never shows one
    buf = io.StringIO()
    monkeypatch.setattr("rich.console.Console", lambda **kw: Console(file=buf, force_terminal=True, width=80))
    bar.started -= 5
    bar("reading", 5, 10)
    bar("checking", 3, 40)
    bar.close()
    assert "reading files" in buf.getvalue() and "checking rules" in buf.getvalue()


def test_no_progress_output_in_pipes(repo):
    proc = forewarn(".", "--format", "concise", cwd=repo, env={"CI": ""})
    assert "reading files" not in proc.stderr and proc.stderr == ""


# ------------------------------------------------------------------------------------ the GitHub Action
def _action():
    import yaml

    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_is_a_composite_that_uploads_sarif_and_never_splices_inputs_into_scripts():
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    upload = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload and upload[0]["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], step["name"]  # inputs reach scripts as env vars only (no injection)
    text = (ROOT / "action.yml").read_text()
    assert set(re.findall(r"inputs\.([a-z-]+)", text)) <= set(action["inputs"])


def test_action_run_step_works_as_written(repo, tmp_path):
    """The action's own bash, run the way the runner runs it: annotations on stdout, SARIF on disk, the code."""
    [step] = [s for s in _action()["runs"]["steps"] if s.get("id") == "scan"]
    script = tmp_path / "step.sh"
    script.write_text(step["run"])
    output = tmp_path / "github_output"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "forewarn").write_text(f"#!/bin/sh\nexec {sys.executable} -m forewarn \"$@\"\n")
    (bindir / "forewarn").chmod(0o755)
    env = {"PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}", "GITHUB_OUTPUT": str(output),
           "HOME": os.environ.get("HOME", "/tmp"), "CI": "true",
           "FOREWARN_PATHS": "apps nodes", "FOREWARN_FAIL_ON": "", "FOREWARN_BASELINE": "",
           "FOREWARN_ARGS": "--ignore BR013", "FOREWARN_ANNOTATIONS": "true", "FOREWARN_SARIF": "forewarn.sarif"}
    # as the runner does for `shell: bash`: bash --noprofile --norc -eo pipefail {0}
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=repo, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr  # the step itself never fails: the last step does
    assert "exit-code=1" in output.read_text()
    assert "::warning file=apps/cart.yaml,line=14" in proc.stdout and "title=BR013" not in proc.stdout
    assert json.loads((repo / "forewarn.sarif").read_text())["runs"][0]["results"]
