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
    assert data["version"] == 2 and len(data["findings"]) == 3
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
    # the snippet names the flagged field; the line's value still counts next to it
    snippet = Finding("K8S005", "n", Severity.WARNING, "m", "a.yaml", 3, resource="Deployment/x", snippet="x:app:cpu")
    assert fingerprint(snippet, "a.yaml", "\n\n  cpu: 4\n") == fingerprint(snippet, "a.yaml", "\n\n    cpu: 4 # ok\n")
    assert fingerprint(snippet, "a.yaml", "\n\n  cpu: 4\n") != fingerprint(snippet, "a.yaml", "\n\n  cpu: 8\n")


WORKER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger-worker
  namespace: payments
spec:
  selector:
    matchLabels: {app: ledger-worker}
  template:
    metadata:
      labels: {app: ledger-worker}
    spec:
      containers:
        - name: worker
          image: registry.example.com/payments/ledger-worker:2.4.1
          resources:
            requests:
              cpu: 500m
              memory: 1Gi
            limits:
              cpu: 3000m
              memory: 1Gi
"""


def test_a_worse_offending_value_is_a_new_finding(tmp_path):
    """The fingerprint hashes the value, not just which field it is: `cpu: 600m` -> `cpu: "4"` is new."""
    root = tmp_path / "repo"
    root.mkdir()
    worker = root / "worker.yaml"
    worker.write_text(WORKER)
    forewarn("baseline", ".", cwd=root)
    assert forewarn(".", "--baseline", ".forewarn-baseline.json", "--format", "concise", cwd=root).returncode == 0
    # comments and blank lines above, re-indented: still the accepted finding
    worker.write_text("# ledger worker (PLAT-1158)\n\n" + WORKER.replace("cpu: 3000m", "cpu: 3000m   # burst"))
    assert forewarn(".", "--baseline", ".forewarn-baseline.json", "--format", "concise", cwd=root).returncode == 0
    for worse in (WORKER.replace("cpu: 3000m", 'cpu: "4"'),  # the flagged line's value
                  WORKER.replace("cpu: 500m", "cpu: 250m")):  # the request, on another line: the ratio doubles
        worker.write_text(worse)
        proc = forewarn(".", "--baseline", ".forewarn-baseline.json", "--format", "concise", cwd=root)
        assert proc.returncode == 1 and [line.split()[2] for line in proc.stdout.splitlines()] == ["K8S005"]
        assert "1 baseline entry no longer found" in forewarn(".", "--baseline", ".forewarn-baseline.json", cwd=root).stdout


def test_positions_quoted_in_messages_and_addresses_do_not_count():
    from forewarn.baseline import fingerprint
    from forewarn.findings import Finding, Severity

    def argo(message, resource="Application/web-prod"):
        return Finding("ARGO001", "n", Severity.WARNING, message, "app.yaml", 8, resource=resource)

    text = "\n" * 7 + "spec:\n"
    a = argo("deploys Deployment web (app/base/deployment.yaml:7): /spec/replicas is rendered as `1`")
    b = argo("deploys Deployment web (app/base/deployment.yaml:12): /spec/replicas is rendered as `1`")
    c = argo("deploys Deployment web (app/base/deployment.yaml:12): /spec/replicas is rendered as `3`")
    assert fingerprint(a, "app.yaml", text) == fingerprint(b, "app.yaml", text) != fingerprint(c, "app.yaml", text)
    e1 = argo("duplicate key 'selector' (first at line 6); the API server rejects it")
    e2 = argo("duplicate key 'selector' (first at line 9); the API server rejects it")
    assert fingerprint(e1, "app.yaml", text) == fingerprint(e2, "app.yaml", text)
    heredoc = argo("m", resource="BottlerocketSettings@infra/main.tf:12")
    moved = argo("m", resource="BottlerocketSettings@infra/main.tf:15")
    assert fingerprint(heredoc, "app.yaml", text) == fingerprint(moved, "app.yaml", text)


def test_a_version_1_baseline_asks_to_be_regenerated(tmp_path):
    (tmp_path / "b.json").write_text('{"version": 1, "findings": []}')
    proc = forewarn(".", "--baseline", "b.json", cwd=tmp_path)
    assert proc.returncode == 2 and "regenerate it with `forewarn baseline`" in proc.stderr
