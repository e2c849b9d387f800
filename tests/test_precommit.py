"""The real pre-commit, in a scratch repository: a Deployment changed alone gets the full scan's verdict.

`test_hook_definition_*` run the hook exactly as `.pre-commit-hooks.yaml` defines it (files, types, serial,
no extra args), with the entry pointed at this checkout (`language: system`), so they need no network.
`test_try_repo_installs_and_runs_the_hook` is the end-to-end path a user takes: `pre-commit try-repo` builds
the hook's own virtualenv from a committed copy of this repository (pip needs PyPI: skipped offline).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")

DEPLOYMENT = """\
# Source: orders/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
  namespace: shop
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: orders
  template:
    metadata:
      labels:
        app.kubernetes.io/name: orders
    spec:
      containers:
        - name: orders
          image: registry.example.com/shop/orders:5.3.0
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet: {path: /ready, port: http}
          resources:
            requests: {cpu: 200m, memory: 256Mi}
            limits: {memory: 256Mi}
"""

SERVICE = """\
# Source: orders/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: orders
  namespace: shop
spec:
{cluster_ip}  selector:
    app.kubernetes.io/name: orders
  ports:
    - name: http
      port: 80
      targetPort: http
"""

FIXED = DEPLOYMENT.replace(
    "          readinessProbe:",
    "          lifecycle:\n            preStop:\n              sleep: {seconds: 10}\n          readinessProbe:")


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env.update({
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never",
        "GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
    })
    env.pop("CI", None)
    return env


def git(repo: Path, *args, env, check=True):
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=check)


def local_hook_config() -> str:
    """.pre-commit-hooks.yaml's hook, entry pointed at this checkout's interpreter."""
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = dict(hook, language="system", entry=f"{sys.executable} -m forewarn")
    hook.pop("minimum_pre_commit_version", None)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}, sort_keys=False)


def scratch_repo(tmp_path: Path, env: dict, headless: bool) -> Path:
    repo = tmp_path / "infra"
    repo.mkdir()
    git(repo, "init", "-q", env=env)
    (repo / ".pre-commit-config.yaml").write_text(local_hook_config())
    (repo / "k8s" / "orders").mkdir(parents=True)
    (repo / "k8s" / "orders" / "service.yaml").write_text(
        SERVICE.format(cluster_ip="  clusterIP: None\n" if headless else ""))
    git(repo, "add", "-A", env=env)
    git(repo, "commit", "-q", "--no-verify", "-m", "orders service", env=env)
    proc = subprocess.run([PRE_COMMIT, "install"], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo


def full_scan_lines(repo: Path, env: dict, path: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-m", "forewarn", ".", "--format", "concise"], cwd=repo, env=env,
                          capture_output=True, text=True)
    return [line for line in proc.stdout.splitlines() if line.startswith(path + ":")]


def test_hook_definition_commit_of_a_lone_deployment_gets_the_full_scan_verdict(tmp_path):
    env = _env(tmp_path)
    repo = scratch_repo(tmp_path, env, headless=False)
    deploy = repo / "k8s" / "orders" / "deployment.yaml"
    deploy.write_text(DEPLOYMENT)
    git(repo, "add", "k8s/orders/deployment.yaml", env=env)
    commit = git(repo, "commit", "-m", "orders deployment", env=env, check=False)
    assert commit.returncode != 0, "the hook must stop the commit"
    expected = full_scan_lines(repo, env, "k8s/orders/deployment.yaml")
    assert expected and all(" K8S001 " in line or " K8S0" in line for line in expected)
    hook_output = commit.stdout + commit.stderr
    for line in expected:
        path_pos = line.split(": ", 1)[0]
        assert path_pos in hook_output, hook_output  # same finding, same place
    assert "service.yaml" not in hook_output.replace("Service shop/orders", "")  # unchanged files not reported

    deploy.write_text(FIXED)
    git(repo, "add", "k8s/orders/deployment.yaml", env=env)
    commit = git(repo, "commit", "-m", "orders deployment with preStop", env=env, check=False)
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert not full_scan_lines(repo, env, "k8s/orders/deployment.yaml")


def test_hook_definition_no_false_alarm_when_the_service_elsewhere_is_headless(tmp_path):
    """Alone, the Deployment would look Service-backed (no Service in sight); with the repo, it is not."""
    env = _env(tmp_path)
    repo = scratch_repo(tmp_path, env, headless=True)
    (repo / "k8s" / "orders" / "deployment.yaml").write_text(DEPLOYMENT)
    git(repo, "add", "k8s/orders/deployment.yaml", env=env)
    commit = git(repo, "commit", "-m", "orders deployment", env=env, check=False)
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert not full_scan_lines(repo, env, "k8s/orders/deployment.yaml")
    alone = subprocess.run([sys.executable, "-m", "forewarn", "--no-context", "--format", "concise",
                            "k8s/orders/deployment.yaml"], cwd=repo, env=env, capture_output=True, text=True)
    assert " K8S001 " in alone.stdout  # what a context-blind hook would have said


def test_hook_definition_covers_templates_and_second_run_uses_the_cache(tmp_path):
    env = _env(tmp_path)
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    repo = scratch_repo(tmp_path, env, headless=False)
    tpl = repo / "terraform" / "templates" / "bottlerocket.tftpl"
    tpl.parent.mkdir(parents=True)
    tpl.write_text('[settings.kubernetes]\ncluster-name = "${cluster_name}"\n')
    proc = subprocess.run([PRE_COMMIT, "run", "forewarn", "--files", "terraform/templates/bottlerocket.tftpl",
                           "k8s/orders/service.yaml", "--verbose"], cwd=repo, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert "bottlerocket.tftpl" in out and "BR001" in out, out  # .tftpl files reach the hook
    assert (repo / ".forewarn_cache").is_dir()
    assert git(repo, "status", "--porcelain", env=env).stdout.count(".forewarn_cache") == 0  # ignores itself


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _pypi_reachable(), reason="pre-commit try-repo installs the hook's dependencies from PyPI")
def test_try_repo_installs_and_runs_the_hook(tmp_path):
    env = _env(tmp_path)
    hook_repo = tmp_path / "forewarn-hook"
    hook_repo.mkdir()
    for name in ("src", "rules", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, hook_repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, hook_repo / name)
    git(hook_repo, "init", "-q", env=env)
    git(hook_repo, "add", "-A", env=env)
    git(hook_repo, "commit", "-q", "-m", "forewarn", env=env)

    repo = tmp_path / "infra"
    (repo / "k8s" / "orders").mkdir(parents=True)
    git(repo, "init", "-q", env=env)
    (repo / "k8s" / "orders" / "service.yaml").write_text(SERVICE.format(cluster_ip=""))
    (repo / "k8s" / "orders" / "deployment.yaml").write_text(DEPLOYMENT)
    git(repo, "add", "-A", env=env)
    proc = subprocess.run([PRE_COMMIT, "try-repo", str(hook_repo), "forewarn", "--files",
                           "k8s/orders/deployment.yaml", "--verbose"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "k8s/orders/deployment.yaml:17:11" in out and "K8S001" in out, out
