"""Configuration: found by walking up, validated with its line, overridden by flags, explained by `forewarn config`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/shop/api:2.0.0
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 800m, memory: 128Mi}
"""


def forewarn(*args, cwd, stdin=None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1", "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([sys.executable, "-m", "forewarn", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, input=stdin)


def codes(proc) -> list[str]:
    return sorted(line.split(": ", 1)[1].split()[1] for line in proc.stdout.splitlines())


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "k8s" / "shop").mkdir(parents=True)
    (root / "k8s" / "shop" / "api.yaml").write_text(DEPLOYMENT)
    return root


def test_no_config_defaults(project):
    assert codes(forewarn("k8s", "--format", "concise", cwd=project)) == ["K8S001", "K8S005"]


def test_pyproject_found_walking_up_and_applied(project):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.forewarn]\nignore = ["K8S005"]\n')
    assert codes(forewarn("shop", "--format", "concise", cwd=project / "k8s")) == ["K8S001"]


def test_forewarn_toml_wins_over_pyproject_in_the_same_directory(project):
    (project / "pyproject.toml").write_text('[tool.forewarn]\nignore = ["K8S005"]\n')
    (project / ".forewarn.toml").write_text('ignore = ["K8S001"]\n')
    assert codes(forewarn("k8s", "--format", "concise", cwd=project)) == ["K8S005"]


def test_pyproject_without_tool_table_is_passed_over(project, tmp_path):
    (tmp_path / ".forewarn.toml").write_text('ignore = ["K8S001"]\n')
    (project / "pyproject.toml").write_text('[project]\nname = "unrelated"\n')
    assert codes(forewarn("k8s", "--format", "concise", cwd=project)) == ["K8S005"]


def test_params_override_rule_parameters(project):
    # cpu limit 800m / request 100m = 8 > 5 (default max_ratio) but <= 10
    (project / ".forewarn.toml").write_text("[params]\nK8S005.max_ratio = 10\n")
    assert codes(forewarn("k8s", "--format", "concise", cwd=project)) == ["K8S001"]


def test_command_line_overrides_config(project):
    (project / ".forewarn.toml").write_text('select = ["K8S005"]\nfail-on = "error"\nformat = "json"\n')
    proc = forewarn("k8s", cwd=project)
    assert proc.returncode == 0 and json.loads(proc.stdout)["summary"]["by_code"] == {"K8S005": 1}
    proc = forewarn("k8s", "--select", "K8S001", "--fail-on", "warning", "--format", "concise", cwd=project)
    assert proc.returncode == 1 and codes(proc) == ["K8S001"]
    proc = forewarn("k8s", "--extend-select", "K8S001", "--format", "concise", cwd=project)
    assert codes(proc) == ["K8S001", "K8S005"]


def test_extend_select_opts_into_off_by_default_rules(project):
    (project / ".forewarn.toml").write_text('extend-select = ["K8S007"]\n')
    assert "K8S007" in codes(forewarn("k8s", "--format", "concise", cwd=project))


def test_exclude_and_rule_dirs_are_relative_to_the_config(project, tmp_path):
    (project / "vendor").mkdir()
    (project / "vendor" / "thing.yaml").write_text(DEPLOYMENT)
    (project / ".forewarn.toml").write_text('exclude = ["vendor"]\n')
    proc = forewarn(".", "--format", "concise", cwd=project)
    assert "vendor/" not in proc.stdout and "k8s/shop/api.yaml" in proc.stdout
    missing = project / ".forewarn.toml"
    missing.write_text('rule-dirs = ["policies"]\n')
    proc = forewarn("k8s", cwd=project)
    assert proc.returncode == 2 and str(project / "policies") in proc.stderr


@pytest.mark.parametrize("body,line,col,needle", [
    ('[tool.forewarn]\nselct = ["BR"]\n', 2, 1, "unknown key 'selct' (did you mean 'select'?)"),
    ('[tool.forewarn]\nselect = ["BR"]\nfail-on = "warn"\n', 3, 1, "'warn' is not one of"),
    ('[tool.forewarn]\nformat = "xml"\n', 2, 1, "'xml' is not an output"),
    ('[tool.forewarn]\n\n[[tool.forewarn.per-path-ignores]]\npath = "legacy/**"\ncodes = ["K8S001"]\n', 3, 1,
     "'reason' is a required property"),
    ('[tool.forewarn]\n\n[[tool.forewarn.per-path-ignores]]\npath = "x"\ncodes = ["K8S001"]\nreason = "ok"\n'
     'until = "soon"\n', 7, 1, "'soon' is not a date"),
    ('[tool.forewarn]\nselect = ["BR"]\n\n[tool.forewarn.params]\nK8S005.max_ratoi = 4\n', 5, 1,
     "K8S005 has no parameter 'max_ratoi' (its parameters: max_ratio)"),
    ('[tool.forewarn.params]\nK8S005.max_ratio = "four"\n', 2, 1, "K8S005.max_ratio must be a number"),
    ('[tool.forewarn.params]\nK8S050 = {max_ratio = 4}\n', 2, 1, "params: no rule K8S050"),
    # ranges come from the rule pack (rules/schema.json, per template): a ratio under 1 flags everything
    ('[tool.forewarn.params]\nK8S005.max_ratio = -1\n', 2, 1, "K8S005.max_ratio must be a number >= 1, not -1"),
    ('[tool.forewarn.params]\nK8S005.max_ratio = 0\n', 2, 1, "K8S005.max_ratio must be a number >= 1, not 0"),
    ('[tool.forewarn.params]\nK8S005.max_ratio = true\n', 2, 1, "must be a number >= 1, not true"),
    ('[tool.forewarn.params]\nWH003.max_timeout_seconds = 45\n', 2, 1,
     "WH003.max_timeout_seconds must be an integer from 1 to 30, not 45"),
    ('[tool.forewarn.params]\nK8S001.sidecars = "istio-proxy"\n', 2, 1, "K8S001.sidecars must be an array of strings"),
    # a day that does not exist is as invalid as a missing reason: both stop the run
    ('[tool.forewarn]\n\n[[tool.forewarn.per-path-ignores]]\npath = "x"\ncodes = ["K8S001"]\nreason = "ok"\n'
     'until = "2027-13-01"\n', 7, 1, "'2027-13-01' is not a date"),
    ('[tool.forewarn]\nignore = ["ZZ9"]\n', 2, 1, "no rule code starts with 'ZZ9'"),
    ('[tool.forewarn]\ncontext = true\n', 2, 1, "use a directory (relative to this file) or false"),
    ('[tool.forewarn\nselect = []\n', 1, 15, "TOML syntax error"),
])
def test_invalid_config_is_exit_2_with_file_and_line(project, body, line, col, needle):
    (project / "pyproject.toml").write_text(body)
    proc = forewarn("k8s", cwd=project)
    assert proc.returncode == 2, proc.stdout
    assert f"pyproject.toml:{line}:{col}: " in proc.stderr, proc.stderr
    assert needle in proc.stderr, proc.stderr


def test_every_error_is_listed(project):
    (project / ".forewarn.toml").write_text('selct = ["BR"]\nfail-on = "sometimes"\n')
    proc = forewarn("k8s", cwd=project)
    assert proc.returncode == 2
    assert ".forewarn.toml:1:1: unknown key 'selct'" in proc.stderr
    assert ".forewarn.toml:2:1: fail-on: 'sometimes'" in proc.stderr


def test_toml_dates_are_accepted(project):
    (project / ".forewarn.toml").write_text(
        '[[per-path-ignores]]\npath = "k8s/shop/*.yaml"\ncodes = ["K8S005"]\nreason = "bursty batch API"\n'
        "until = 2099-12-31\n")
    assert codes(forewarn("k8s", "--format", "concise", cwd=project)) == ["K8S001"]


def test_config_command_shows_values_and_origins(project):
    (project / "pyproject.toml").write_text(
        '[tool.forewarn]\nselect = ["K8S", "BR"]\nfail-on = "error"\n\n[tool.forewarn.params]\nK8S005.max_ratio = 4\n')
    proc = forewarn("config", "k8s", "--fail-on", "info", "--extend-ignore", "K8S007", cwd=project)
    assert proc.returncode == 0, proc.stderr
    lines = {line.split(" = ")[0]: line for line in proc.stdout.splitlines() if " = " in line}
    assert lines["select"].startswith('select = ["K8S", "BR"]') and lines["select"].endswith("# pyproject.toml:2")
    assert lines["fail-on"].startswith('fail-on = "info"') and "command line (--fail-on)" in lines["fail-on"]
    assert "K8S007" in lines["ignore"] and "command line (--extend-ignore)" in lines["ignore"]
    assert "max_ratio = 4" in lines["params"] and "pyproject.toml:5" in lines["params"]
    assert lines["cache"].endswith("# default")
    data = json.loads(forewarn("config", "k8s", "--json", cwd=project).stdout)
    assert data["settings"]["select"] == {"value": ["K8S", "BR"], "source": "pyproject.toml:2"}
    assert data["config_file"] == str((project / "pyproject.toml").resolve())


def test_explicit_config_and_isolated(project, tmp_path):
    other = tmp_path / "elsewhere.toml"
    other.write_text('ignore = ["K8S"]\n')
    assert forewarn("k8s", "--config", str(other), "--format", "concise", cwd=project).stdout == ""
    (project / ".forewarn.toml").write_text('ignore = ["K8S"]\n')
    assert codes(forewarn("k8s", "--isolated", "--format", "concise", cwd=project)) == ["K8S001", "K8S005"]
    assert forewarn("k8s", "--config", "nope.toml", cwd=project).returncode == 2


def test_schema_ships_inside_the_package():
    from importlib.resources import files

    schema = json.loads((files("forewarn") / "config_schema.json").read_text())
    assert schema["additionalProperties"] is False and "per-path-ignores" in schema["properties"]
    # hatchling packs every file under src/forewarn that git does not ignore
    proc = subprocess.run(["git", "check-ignore", "src/forewarn/config_schema.json"], cwd=ROOT, capture_output=True)
    assert proc.returncode == 1


def test_schema_documents_every_default():
    from forewarn.config import DEFAULTS, SCHEMA_PATH

    schema = json.loads(Path(SCHEMA_PATH).read_text())
    assert set(schema["properties"]) == set(DEFAULTS)
