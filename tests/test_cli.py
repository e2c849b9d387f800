"""The command line as users and CI see it: exit codes, stdin, each output format."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, SHARED

DUPLICATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
CLEAN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n"


def run(*args, stdin=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "forewarn", *args], input=stdin, capture_output=True, text=True, cwd=cwd or ROOT,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_clean_input_exits_0():
    proc = run("-", "--stdin-filename", "cm.yaml", "--format", "concise", stdin=CLEAN)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""


def test_finding_exits_1_and_concise_line_is_exact():
    proc = run("-", "--stdin-filename", "deploy/cm.yaml", "--format", "concise", stdin=DUPLICATE)
    assert proc.returncode == 1
    assert proc.stdout.startswith("deploy/cm.yaml:5:3: error E001 duplicate key 'name'")


def test_fail_on_controls_exit_code():
    assert run("-", "--stdin-filename", "a.yaml", "--fail-on", "never", stdin=DUPLICATE).returncode == 0
    assert run("-", "--stdin-filename", "a.yaml", "--fail-on", "error", stdin=DUPLICATE).returncode == 1


def test_usage_errors_exit_2():
    assert run("--format", "nope").returncode == 2
    assert run("does/not/exist").returncode == 2
    assert run("--select", "ZZ999", "-", stdin=CLEAN).returncode == 2


def test_bad_rule_pack_exits_2_with_file_and_line(tmp_path):
    (tmp_path / "X001.yaml").write_text("code: X001\nname: Bad Name\nseverity: warning\n")
    proc = run("--rules", str(tmp_path), "-", "--stdin-filename", "a.yaml", stdin=CLEAN)
    assert proc.returncode == 2
    assert "X001.yaml:" in proc.stderr


def test_json_format_is_versioned():
    proc = run("-", "--stdin-filename", "a.yaml", "--format", "json", stdin=DUPLICATE)
    data = json.loads(proc.stdout)
    assert data["version"] == 1
    assert data["findings"][0]["code"] == "E001"
    assert data["findings"][0]["line"] == 5
    assert data["summary"]["by_code"] == {"E001": 1}


def test_text_format_has_code_frame_and_help():
    proc = run("-", "--stdin-filename", "a.yaml", stdin=DUPLICATE)
    assert ">" in proc.stdout and "5 |   name: b" in proc.stdout
    assert "help:" in proc.stdout
    assert "\x1b[" not in proc.stdout  # no colour when not a TTY


def test_sarif_is_valid_against_the_official_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = SHARED / "schemas" / "sarif-schema-2.1.0.json"
    if not schema_path.exists():
        pytest.skip("shared/schemas not beside the checkout")
    proc = run("-", "--stdin-filename", "a.yaml", "--format", "sarif", stdin=DUPLICATE)
    log = json.loads(proc.stdout)
    schema = json.loads(schema_path.read_text())
    jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)
    result = log["runs"][0]["results"][0]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (5, 3)
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.yaml"
    rule_ids = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert "E001" in rule_ids and log["runs"][0]["tool"]["driver"]["rules"][0]["help"]["markdown"]


def test_rules_json_lists_the_catalogue():
    proc = run("rules", "--format", "json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert {"code", "name", "severity", "summary"} <= set(data[0])
    assert "E001" in [r["code"] for r in data]


def test_explain_prints_docs():
    proc = run("explain", "E001")
    assert proc.returncode == 0
    assert "parse-error" in proc.stdout and "## Fix" in proc.stdout
    assert run("explain", "NOPE999").returncode == 2


def test_version():
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("forewarn ")
