"""Baselines keep an old repository green while any new finding still fails."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import SHOP_APP

LEGACY = SHOP_APP


def forewarn(*args, cwd):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1", "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([sys.executable, "-m", "forewarn", *args], cwd=cwd, capture_output=True, text=True, env=env)


def concise(proc):
    return sorted(tuple(line.split(":", 3)[:2]) + (line.split(":", 3)[3].split()[1],) for line in proc.stdout.splitlines())


def old_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "apps").mkdir(parents=True)
    for name in ("cart", "checkout", "search"):
        (root / "apps" / f"{name}.yaml").write_text(LEGACY.format(name=name))
    return root


def test_baseline_keeps_the_old_repo_green_and_new_findings_fail(tmp_path):
    root = old_repo(tmp_path)
    assert forewarn(".", "--format", "concise", cwd=root).returncode == 1
    made = forewarn("baseline", ".", cwd=root)
    assert made.returncode == 0, made.stderr
    assert "wrote 3 finding(s) to .forewarn-baseline.json" in made.stderr
    data = json.loads((root / ".forewarn-baseline.json").read_text())
    assert data["version"] == 1 and len(data["findings"]) == 3
    assert {e["path"] for e in data["findings"]} == {"apps/cart.yaml", "apps/checkout.yaml", "apps/search.yaml"}
    assert all("line" not in e for e in data["findings"])  # line numbers would resurrect findings
    clean = forewarn(".", "--baseline", ".forewarn-baseline.json", "--format", "concise", cwd=root)
    assert clean.returncode == 0 and clean.stdout == ""

    # edits above a baselined finding: it must not come back
    cart = root / "apps" / "cart.yaml"
    cart.write_text("# Cart service, owned by team-basket\n# Runbook: https://wiki.example.com/cart\n"
                    + cart.read_text().replace("namespace: shop\nspec:", "namespace: shop\n  labels: {team: basket}\nspec:", 1))
    moved = forewarn(".", "--baseline", ".forewarn-baseline.json", "--format", "concise", cwd=root)
    assert moved.returncode == 0, moved.stdout

    # a new service with the same problem still fails, and only it is shown
    (root / "apps" / "payments.yaml").write_text(LEGACY.format(name="payments"))
    new = forewarn(".", "--baseline", ".forewarn-baseline.json", "--format", "concise", cwd=root)
    assert new.returncode == 1
    assert concise(new) == [("apps/payments.yaml", "14", "K8S001")]
    human = forewarn(".", "--baseline", ".forewarn-baseline.json", cwd=root)
    assert "3 hidden by the baseline" in human.stdout


def test_a_second_equal_finding_is_new(tmp_path):
    """Counts, not sets: the baseline hides as many equal findings as it lists."""
    root = old_repo(tmp_path)
    forewarn("baseline", ".", cwd=root)
    text = (root / "apps" / "cart.yaml").read_text()
    (root / "apps" / "cart.yaml").write_text(text + "---\n" + text.replace("- name: cart", "- name: cart", 1))
    proc = forewarn(".", "--baseline", ".forewarn-baseline.json", "--format", "json", cwd=root)
    data = json.loads(proc.stdout)
    active = [f for f in data["findings"] if "suppressed" not in f]
    # the duplicated document repeats the same Deployment: one copy is baselined, the other is new
    assert proc.returncode == 1 and [f["code"] for f in active] == ["K8S001"]
    assert data["summary"]["baselined"] == 3


def test_fixed_findings_are_counted_and_baseline_paths_are_relative_to_the_file(tmp_path):
    root = old_repo(tmp_path)
    forewarn("baseline", ".", cwd=root)
    fixed = LEGACY.format(name="search").replace(
        "          readinessProbe:", "          lifecycle:\n            preStop:\n              sleep: {seconds: 5}\n"
        "          readinessProbe:")
    (root / "apps" / "search.yaml").write_text(fixed)
    # run from a subdirectory with the baseline given by path: paths still match
    proc = forewarn(".", "--baseline", "../.forewarn-baseline.json", cwd=root / "apps")
    assert proc.returncode == 0, proc.stdout
    assert "1 baseline entry no longer found" in proc.stdout


def test_baseline_from_config_and_written_where_it_says(tmp_path):
    root = old_repo(tmp_path)
    (root / "pyproject.toml").write_text('[tool.forewarn]\nbaseline = "ci/forewarn-baseline.json"\n')
    (root / "ci").mkdir()
    made = forewarn("baseline", cwd=root)
    assert made.returncode == 0 and (root / "ci" / "forewarn-baseline.json").is_file()
    assert forewarn(".", "--format", "concise", cwd=root).returncode == 0
    assert forewarn(".", "--format", "concise", "--isolated", cwd=root).returncode == 1


def test_pre_commit_style_run_honours_the_baseline(tmp_path):
    root = old_repo(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    forewarn("baseline", ".", cwd=root)
    proc = forewarn("apps/cart.yaml", "--baseline", ".forewarn-baseline.json", "--format", "concise", cwd=root)
    assert proc.returncode == 0 and proc.stdout == ""


def test_bad_baseline_file_is_exit_2(tmp_path):
    root = old_repo(tmp_path)
    (root / "b.json").write_text("{not json")
    proc = forewarn(".", "--baseline", "b.json", cwd=root)
    assert proc.returncode == 2 and "b.json:1:2" in proc.stderr
    proc = forewarn(".", "--baseline", "missing.json", cwd=root)
    assert proc.returncode == 2 and "forewarn baseline" in proc.stderr


def test_fingerprint_ignores_line_and_indentation_but_not_the_value():
    from forewarn.baseline import fingerprint
    from forewarn.findings import Finding, Severity

    f = Finding("K8S005", "cpu-limit-request-ratio", Severity.WARNING, "m", "a.yaml", 3, resource="Deployment/x")
    g = Finding("K8S005", "cpu-limit-request-ratio", Severity.WARNING, "m", "a.yaml", 9, resource="Deployment/x")
    assert fingerprint(f, "a.yaml", "\n\n  cpu: 4  # burst\n") == fingerprint(g, "a.yaml", "\n" * 8 + "        cpu: 4\n")
    assert fingerprint(f, "a.yaml", "\n\n  cpu: 4\n") != fingerprint(f, "a.yaml", "\n\n  cpu: 8\n")
    h = Finding("K8S005", "cpu-limit-request-ratio", Severity.WARNING, "m", "a.yaml", 3, resource="Deployment/y")
    assert fingerprint(f, "a.yaml", "\n\n  cpu: 4\n") != fingerprint(h, "a.yaml", "\n\n  cpu: 4\n")
    snippet = Finding("K8S005", "n", Severity.WARNING, "m", "a.yaml", 3, resource="Deployment/x", snippet="limit 4 / request 0.5")
    assert fingerprint(snippet, "a.yaml", "anything") == fingerprint(snippet, "a.yaml", "else")
