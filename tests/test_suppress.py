"""Suppressions: every form works, needs a reason, expires, and is reported when unused."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, SHARED, annotations, scan_paths, scan_text

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
{annotations}spec:
  selector:
    matchLabels: {{app: checkout}}
  template:
    metadata:
      labels: {{app: checkout}}
{pod_annotations}    spec:
      containers:
{comment}        - name: checkout{trailing}
          image: registry.example.com/shop/checkout:4.2.0
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet: {{path: /ready, port: http}}
          resources:
            requests: {{cpu: 250m, memory: 256Mi}}
            limits: {{memory: 256Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: checkout
  namespace: shop
spec:
  selector: {{app: checkout}}
  ports:
    - port: 80
      targetPort: http
"""


def deployment(annotations="", pod_annotations="", comment="", trailing=""):
    return DEPLOYMENT.format(annotations=annotations, pod_annotations=pod_annotations, comment=comment,
                             trailing=trailing)


def container_line(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if "- name: checkout" in line)


def codes(result, suppressed=False):
    return sorted((f.code, f.line) for f in result.findings if (f.suppressed is not None) == suppressed)


def test_unsuppressed_baseline_of_this_module(catalog):
    text = deployment()
    result = scan_text("shop/checkout.yaml", text, catalog)
    assert codes(result) == [("K8S001", container_line(text))]


# ------------------------------------------------------------------------------------ inline forms
@pytest.mark.parametrize("comment,trailing", [
    ("        # forewarn: ignore[K8S001] fronted by an NLB that drains for 30s\n", ""),
    ("        # the NLB drains: see PLAT-412\n        # forewarn: ignore[K8S001] fronted by an NLB\n", ""),
    ("", "  # forewarn: ignore[K8S001] fronted by an NLB that drains for 30s"),
    ("        # forewarn: ignore[K8S] every workload check waived for the legacy stack\n", ""),
    ("        #forewarn:ignore[k8s001]: lower case and tight spacing still count\n", ""),
])
def test_inline_comment_on_the_line_or_above(catalog, comment, trailing):
    text = deployment(comment=comment, trailing=trailing)
    result = scan_text("shop/checkout.yaml", text, catalog)
    assert codes(result) == []
    suppressed = [f for f in result.findings if f.suppressed is not None]
    assert [(f.code, f.line) for f in suppressed] == [("K8S001", container_line(text))]
    assert result.suppression_for(suppressed[0]).kind == "inline"


def test_comment_separated_by_a_blank_line_covers_nothing(catalog):
    text = deployment(comment="        # forewarn: ignore[K8S001] fronted by an NLB\n\n")
    result = scan_text("shop/checkout.yaml", text, catalog, report_unused=True)
    assert ("K8S001", container_line(text)) in codes(result)
    assert "E003" in [f.code for f in result.findings]


def test_other_codes_are_not_covered(catalog):
    text = deployment(comment="        # forewarn: ignore[K8S004] readiness is checked by the mesh\n")
    result = scan_text("shop/checkout.yaml", text, catalog)
    assert ("K8S001", container_line(text)) in codes(result)


def test_ignore_file(catalog):
    text = "# forewarn: ignore-file[K8S001] all of these sit behind a TCP load balancer\n" + deployment()
    result = scan_text("shop/checkout.yaml", text, catalog)
    assert codes(result) == []
    assert result.suppression_for(result.findings[0]).kind == "file"


def test_toml_inline(catalog):
    text = """\
[settings.kubernetes]
pod-pids-limit = 4096

[settings.kubernetes.eviction-hard]
"memory.available" = "5%"
"nodefs.available" = "10%"
"nodefs.inodesFree" = "5%"
"imagefs.available" = "15%"

[settings.kubernetes.system-reserved]
cpu = "100m"

[settings.host-containers.admin]
# forewarn: ignore[BR009] break-glass pool, admin access audited by SEC-77
enabled = true
"""
    result = scan_text("nodes/settings.toml", text, catalog)
    assert [f.code for f in result.findings if f.suppressed is None] == []
    assert [(f.code, f.line) for f in result.findings if f.suppressed] == [("BR009", 15)]


@pytest.mark.parametrize("comment", ["# forewarn: ignore[TF001]", "// forewarn: ignore[TF001]"])
def test_hcl_hash_and_slash_comments(catalog, tmp_path, comment):
    module = tmp_path / "nodes"
    module.mkdir()
    (module / "main.tf").write_text(f"""\
resource "aws_eks_node_group" "workers" {{
  cluster_name    = "prod"
  node_group_name = "workers"
  node_role_arn   = "arn:aws:iam::123456789012:role/nodes"
  subnet_ids      = ["subnet-1"]
  ami_type        = "BOTTLEROCKET_x86_64"
  launch_template {{
    id      = aws_launch_template.workers.id
    version = aws_launch_template.workers.latest_version
  }}
  scaling_config {{
    desired_size = 2
    max_size     = 3
    min_size     = 2
  }}
}}

resource "aws_launch_template" "workers" {{
  name_prefix = "workers-"
  block_device_mappings {{
    {comment} the bootstrap container adds the data volume (PLAT-88)
    device_name = "/dev/xvda"
    ebs {{
      volume_size = 100
    }}
  }}
}}
""")
    result = scan_paths([module], catalog)
    assert [(f.code, f.line) for f in result.findings if f.suppressed] == [("TF001", 22)]
    assert [f.code for f in result.findings if f.suppressed is None] == []


def test_double_slash_is_a_comment_only_in_hcl():
    from forewarn.suppress import comment_directives

    assert comment_directives("app.yaml", "url: http://x  // forewarn: ignore[K8S001] not a comment\n") == []
    [d] = comment_directives("main.tf", 'ami = "x" // forewarn: ignore[TF001] a comment in HCL\n')
    assert d.codes == ["TF001"] and d.reason == "a comment in HCL" and d.target_lines == frozenset({1})


# ------------------------------------------------------------------------------------ annotations
@pytest.mark.parametrize("where", ["object", "pod"])
def test_kubernetes_annotation_on_object_or_pod_template(catalog, where):
    ann = '    forewarn.io/ignore: "K8S001: fronted by a TCP LB; WH002: audit webhook"\n'
    if where == "object":
        text = deployment(annotations="  annotations:\n" + ann)
    else:
        text = deployment(pod_annotations="      annotations:\n    " + ann)
    result = scan_text("shop/checkout.yaml", text, catalog)
    assert codes(result) == []
    assert [f.code for f in result.findings if f.suppressed] == ["K8S001"]
    sup = result.suppression_for(result.findings[0])
    assert sup.kind == "annotation" and sup.reason == "fronted by a TCP LB"


def test_annotation_covers_only_its_own_object(catalog):
    other = deployment().replace("checkout", "cart")
    text = deployment(annotations='  annotations:\n    forewarn.io/ignore: "K8S001: fronted by a TCP LB"\n') + "---\n" + other
    result = scan_text("shop/checkout.yaml", text, catalog)
    active = [f for f in result.findings if f.suppressed is None]
    assert [(f.code, f.resource) for f in active if f.code == "K8S001"] == [("K8S001", "Deployment/shop/cart")]


def test_annotation_without_reason_is_reported_and_not_applied(catalog):
    text = deployment(annotations='  annotations:\n    forewarn.io/ignore: "K8S001"\n')
    result = scan_text("shop/checkout.yaml", text, catalog)
    assert codes(result) == [("E002", 7), ("K8S001", container_line(text))]


@pytest.mark.parametrize("value,entries", [
    ("K8S001: clients retry; single replica", ["K8S001: clients retry; single replica"]),
    ("K8S001: fronted by a TCP LB; WH002 until=2027-03-31: audit webhook",
     ["K8S001: fronted by a TCP LB", "WH002 until=2027-03-31: audit webhook"]),
    ("K8S001,K8S004: legacy LB;WH: vendor chart; see PLAT-9: no owner", ["K8S001,K8S004: legacy LB", "WH: vendor chart; see PLAT-9: no owner"]),
    ("K8S001: NLB drains for 30s;\n  it retries\nWH002: audit", ["K8S001: NLB drains for 30s;\n  it retries", "WH002: audit"]),
])
def test_annotation_entries_split_only_before_codes(value, entries):
    """Grammar: `;` or a line break starts an entry only when upper-case codes and a colon follow."""
    from forewarn.suppress import annotation_entries

    assert annotation_entries(value) == entries


def test_semicolon_in_an_annotation_reason_stays_in_the_reason(catalog):
    ann = '    forewarn.io/ignore: "K8S001: dapr-api clients retry; operator is a single replica (PLAT-1177)"\n'
    result = scan_text("shop/checkout.yaml", deployment(annotations="  annotations:\n" + ann), catalog)
    assert codes(result) == []
    assert result.suppression_for(result.findings[0]).reason == \
        "dapr-api clients retry; operator is a single replica (PLAT-1177)"


def test_e002_says_what_is_wrong(catalog):
    def e002(**kw):
        result = scan_text("shop/checkout.yaml", deployment(**kw), catalog)
        return [f.message for f in result.findings if f.code == "E002"]

    [bad_date] = e002(comment="        # forewarn: ignore[K8S001] until=31/12/2027 fronted by an NLB\n")
    assert "until='31/12/2027' is not a date" in bad_date and "YYYY-MM-DD" in bad_date
    assert "say why" not in bad_date  # the reason is there
    [no_reason] = e002(comment="        # forewarn: ignore[K8S001] until=2027-12-31\n")
    assert "has no reason" in no_reason and "say why the finding is accepted" in no_reason
    [prose] = e002(annotations='  annotations:\n    forewarn.io/ignore: "operator is a single replica (PLAT-1177)"\n')
    assert "entry 'operator is a single replica (PLAT-1177)' does not start with rule codes" in prose
    assert "OPERATOR" not in prose and "write `CODE[,CODE]: reason`" in prose


# ------------------------------------------------------------------------------------ reasons, expiry, unused
@pytest.mark.parametrize("directive", [
    "# forewarn: ignore[K8S001]",
    "# forewarn: ignore[K8S001] -",
    "# forewarn: ignore[K8S001] until=2099-01-01",
    "# forewarn: ignore[] the service is fronted by an NLB",
    "# forewarn: ignore K8S001 fronted by an NLB",
    "# forewarn: ignore[K8S001] until=31/03/2027 fronted by an NLB",
])
def test_a_suppression_needs_codes_a_reason_and_a_valid_date(catalog, directive):
    text = deployment(comment=f"        {directive}\n")
    result = scan_text("shop/checkout.yaml", text, catalog)
    line = container_line(text)
    assert codes(result) == [("E002", line - 1), ("K8S001", line)]
    e002 = next(f for f in result.findings if f.code == "E002")
    assert "not applied" in e002.message and e002.severity.name == "WARNING"


def test_expiry_is_inclusive_then_reported(catalog):
    text = deployment(comment="        # forewarn: ignore[K8S001] until=2027-03-31 fronted by an NLB until the move\n")
    line = container_line(text)
    on_the_day = scan_text("shop/checkout.yaml", text, catalog, today=dt.date(2027, 3, 31))
    assert codes(on_the_day) == []
    after = scan_text("shop/checkout.yaml", text, catalog, today=dt.date(2027, 4, 1))
    assert codes(after) == [("E004", line - 1), ("K8S001", line)]
    e004 = next(f for f in after.findings if f.code == "E004")
    assert "2027-03-31" in e004.message and "fronted by an NLB" in e004.message


def test_annotation_expiry(catalog):
    text = deployment(annotations='  annotations:\n    forewarn.io/ignore: "K8S001 until=2024-01-31: LB migration"\n')
    result = scan_text("shop/checkout.yaml", text, catalog)
    assert codes(result) == [("E004", 7), ("K8S001", container_line(text))]


def test_unused_suppressions_with_report_unused(catalog):
    text = deployment(comment="        # forewarn: ignore[K8S001,K8S004,BR001,K8S0O1] fronted by an NLB\n")
    line = container_line(text) - 1
    quiet = scan_text("shop/checkout.yaml", text, catalog)
    assert codes(quiet) == []  # E003 is off by default
    loud = scan_text("shop/checkout.yaml", text, catalog, report_unused=True)
    e003 = sorted(f.message for f in loud.findings if f.code == "E003")
    assert all(f.line == line for f in loud.findings if f.code == "E003")
    assert any("K8S004 matched no finding" in m for m in e003)  # the rule ran and found nothing there
    assert any("BR001 matched no finding" in m for m in e003)  # BR rules ran (on no Bottlerocket input)
    assert any("no rule code starts with K8S0O1" in m for m in e003)  # a typo
    assert not any("K8S001 matched" in m for m in e003)  # used
    # a rule that did not run cannot be judged unused
    narrow = scan_text("shop/checkout.yaml", text, catalog, report_unused=True, select=["K8S001"])
    assert [f.message for f in narrow.findings if f.code == "E003"] == [
        m for m in e003 if "starts with K8S0O1" in m]


def test_suppression_codes_can_be_ignored_like_any_rule(catalog):
    text = deployment(comment="        # forewarn: ignore[K8S001]\n")
    result = scan_text("shop/checkout.yaml", text, catalog, ignore=["E002"])
    assert codes(result) == [("K8S001", container_line(text))]


# ------------------------------------------------------------------------------------ config per-path
def _config_scan(tmp_path, catalog, entries, today=None, target=None):
    from forewarn.scan import ScanOptions, run_scan

    root = tmp_path / "repo"
    (root / "legacy").mkdir(parents=True)
    (root / "legacy" / "checkout.yaml").write_text(deployment())
    (root / "apps").mkdir()
    (root / "apps" / "checkout.yaml").write_text(deployment())
    config = root / "pyproject.toml"
    lines = ["[tool.forewarn]"]
    for e in entries:
        lines += ["[[tool.forewarn.per-path-ignores]]"] + [f"{k} = {json.dumps(v)}" for k, v in e.items()]
    config.write_text("\n".join(lines) + "\n")
    from forewarn.config import from_file, read_config

    settings = from_file(read_config(config))
    options = ScanOptions(paths=[str(target or root)], per_path_ignores=settings["per-path-ignores"],
                          config_path=str(config), today=today, report_unused=True)
    return run_scan(options, catalog), root


def test_per_path_ignores_from_config(tmp_path, catalog):
    result, root = _config_scan(tmp_path, catalog, [
        {"path": "legacy/**", "codes": ["K8S001"], "reason": "legacy stack behind a TCP LB (PLAT-981)"},
        {"path": "apps/payments-*.yaml", "codes": ["K8S"], "reason": "payments team waiver"},
    ])
    active = [(Path(f.path).parent.name, f.code) for f in result.findings if f.suppressed is None]
    assert ("apps", "K8S001") in active and ("legacy", "K8S001") not in active
    suppressed = [f for f in result.findings if f.suppressed]
    assert [Path(f.path).parent.name for f in suppressed] == ["legacy"]
    assert result.suppression_for(suppressed[0]).kind == "config"
    # the second entry matched nothing: E003 at its line in pyproject.toml
    unused = [f for f in result.findings if f.code == "E003"]
    assert [(Path(f.path).name, f.line) for f in unused] == [("pyproject.toml", 6)]


def test_per_path_ignore_expires(tmp_path, catalog):
    result, root = _config_scan(tmp_path, catalog, [
        {"path": "legacy", "codes": ["K8S001"], "reason": "legacy stack", "until": "2026-01-31"},
    ], today=dt.date(2026, 2, 1))
    assert [Path(f.path).parent.name for f in result.findings if f.code == "K8S001" and f.suppressed is None] == [
        "apps", "legacy"]
    assert [(Path(f.path).name, f.code) for f in result.findings if f.code == "E004"] == [("pyproject.toml", "E004")]


def test_unused_config_entries_are_judged_only_by_a_scan_of_the_whole_tree(tmp_path, catalog):
    result, root = _config_scan(tmp_path, catalog, [
        {"path": "legacy/**", "codes": ["K8S001"], "reason": "legacy stack behind a TCP LB"},
    ], target=str(tmp_path / "repo" / "apps"))
    assert not [f for f in result.findings if f.code == "E003"]


# ------------------------------------------------------------------------------------ outputs
def run_cli(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "forewarn", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd or ROOT, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})


def test_suppressed_findings_stay_in_json_and_sarif_but_not_in_text_or_exit_code():
    text = deployment(comment="        # forewarn: ignore[K8S001] fronted by an NLB that drains for 30s\n")
    line = container_line(text)
    concise = run_cli("-", "--stdin-filename", "shop/checkout.yaml", "--format", "concise", stdin=text)
    assert concise.returncode == 0 and concise.stdout == ""
    human = run_cli("-", "--stdin-filename", "shop/checkout.yaml", stdin=text)
    assert human.returncode == 0 and "K8S001" not in human.stdout and "1 suppressed" in human.stdout
    data = json.loads(run_cli("-", "--stdin-filename", "shop/checkout.yaml", "--format", "json", stdin=text).stdout)
    [item] = data["findings"]
    assert item["suppressed"] == "fronted by an NLB that drains for 30s"
    assert item["suppression"] == {"kind": "inline", "reason": "fronted by an NLB that drains for 30s",
                                   "location": f"shop/checkout.yaml:{line - 1}"}
    assert data["summary"]["suppressed"] == 1 and data["summary"]["by_code"] == {}
    sarif = json.loads(run_cli("-", "--stdin-filename", "shop/checkout.yaml", "--format", "sarif", stdin=text).stdout)
    [res] = sarif["runs"][0]["results"]
    assert res["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                    "justification": "fronted by an NLB that drains for 30s"}]
    schema_path = SHARED / "schemas" / "sarif-schema-2.1.0.json"
    if schema_path.exists():
        import jsonschema

        jsonschema.validate(sarif, json.loads(schema_path.read_text()), cls=jsonschema.Draft4Validator)


# ------------------------------------------------------------------------------------ the rule pack's own fixtures
@pytest.mark.parametrize("code", ["E002", "E003", "E004"])
def test_suppression_rule_fixtures(catalog, code):
    """Like test_fixtures.py, with E003 switched on (it is off by default) and a fixed day for E004."""
    for case in sorted(p for p in (FIXTURES / code).iterdir() if p.is_dir()):
        result = scan_paths([case], catalog, report_unused=code == "E003", today=dt.date(2026, 6, 1))
        got = {(Path(f.path).name, f.code, f.line) for f in result.findings if f.suppressed is None}
        expected, forbidden = set(), set()
        for path in case.rglob("*"):
            if path.is_file():
                e, o = annotations(path)
                expected |= {(path.name, c, n) for c, n in e}
                forbidden |= {(path.name, c, n) for c, n in o}
        assert expected <= got, f"{case.name}: missing {sorted(expected - got)}; got {sorted(got)}"
        assert not (forbidden & got), f"{case.name}: must not fire {sorted(forbidden & got)}"
        assert got <= expected, f"{case.name}: unannounced {sorted(got - expected)}"
