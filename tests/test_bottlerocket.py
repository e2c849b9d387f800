"""Bottlerocket settings rules BR001-BR015: effective settings, scope, positions, values, overlay reporting.

These tests build a catalog of the BR rules alone (plus E001), so they judge this family even while other
rule files of the pack are being edited.
"""
from __future__ import annotations

import pytest

from conftest import ROOT, scan_text
from forewarn.catalog import Catalog, Rule, _load_yaml_file
from forewarn.checks import templates
from forewarn.checks.bottlerocket import kebab, suggest_key
from forewarn.context import Context
from forewarn.findings import Position, Severity
from forewarn.model.bottlerocket import (
    BottlerocketSettings,
    OverlayValue,
    effective,
    facts,
    from_toml_file,
)

CODES = [f"BR{n:03d}" for n in range(1, 16)]


def _rule(code: str) -> Rule:
    data = _load_yaml_file(ROOT / "rules" / f"{code}.yaml")
    return Rule(code=data["code"], name=data["name"], severity=Severity.parse(data["severity"]),
                summary=data["summary"], template=data["template"], scope=dict(data["scope"]),
                params=dict(data.get("params") or {}), docs=dict(data["docs"]))


@pytest.fixture(scope="module")
def br_catalog():
    catalog = Catalog()
    for code in CODES + ["E001"]:
        catalog.rules[code] = _rule(code)
    catalog.knowledge["bottlerocket_settings"] = _load_yaml_file(ROOT / "rules" / "knowledge" / "bottlerocket_settings.yaml")
    return catalog


def lint(br_catalog, text: str, name: str = "settings.toml", select=("BR",)):
    result = scan_text(name, text, br_catalog, select=list(select))
    return [(f.code, f.line) for f in result.findings], result.findings


def run(br_catalog, res: BottlerocketSettings, code: str):
    """One rule's template over one resource (for resources no file loader builds: overlays, host facts)."""
    rule = br_catalog.get(code)
    ctx = Context.build([res], br_catalog.knowledge)
    return list(templates()[rule.template](res, ctx, rule))


COMPLETE = '''[settings.kubernetes]
cluster-name = "prod"
pod-pids-limit = 4096

[settings.kubernetes.system-reserved]
cpu = "100m"
memory = "512Mi"

[settings.kubernetes.eviction-hard]
"memory.available" = "500Mi"
"nodefs.available" = "10%"
"nodefs.inodesFree" = "5%"
"imagefs.available" = "15%"
'''


def test_rule_files_match_the_catalogue(br_catalog):
    expected = {
        "BR001": ("eviction-hard-missing", "warning"), "BR002": ("eviction-hard-partial", "warning"),
        "BR003": ("eviction-soft-without-grace-period", "error"), "BR004": ("eviction-value-invalid", "error"),
        "BR005": ("eviction-soft-not-softer", "warning"), "BR006": ("eviction-soft-kills-immediately", "warning"),
        "BR007": ("system-reserved-missing", "warning"), "BR008": ("image-gc-thresholds-invalid", "error"),
        "BR009": ("admin-container-enabled", "warning"), "BR010": ("unknown-setting", "warning"),
        "BR011": ("unquoted-dotted-key", "error"), "BR012": ("container-log-max-files-invalid", "error"),
        "BR013": ("pod-pids-limit-missing", "info"), "BR014": ("kernel-lockdown-weakened", "warning"),
        "BR015": ("kernel-lockdown-invalid", "error"),
    }
    for code, (name, severity) in expected.items():
        rule = br_catalog.get(code)
        assert (rule.name, str(rule.severity)) == (name, severity), code


def test_complete_settings_are_clean(br_catalog):
    assert lint(br_catalog, COMPLETE)[0] == []


# ------------------------------------------------------------------------------------------ scope
@pytest.mark.parametrize("text", [
    '[settings.ecs]\ncluster = "batch"\n',
    '[settings.host-containers.admin]\nenabled = false\n',
    '# bootstrap_extra_args\n[settings.kernel]\nlockdown = "integrity"\n',
    '[settings]\nmotd = "hello"\n',
])
def test_documents_that_configure_no_kubernetes_node_are_not_judged(br_catalog, text):
    codes = {c for c, _ in lint(br_catalog, text)[0]}
    assert not codes & {"BR001", "BR007", "BR013"}


def test_host_can_declare_a_kubernetes_node(br_catalog):
    res = from_toml_file("userdata.toml", '[settings.kernel]\nlockdown = "integrity"\n')
    assert not res.is_kubernetes_node()
    res.kubernetes_node = True
    res.anchor = Position(7, 3)
    findings = run(br_catalog, res, "BR001")
    assert [(f.line, f.column) for f in findings] == [(7, 3)]
    res.kubernetes_node = False
    assert res.effective("eviction-hard") is None and not run(br_catalog, res, "BR001")


# ------------------------------------------------------------------------------------------ BR001/7/13 positions
def test_missing_keys_point_at_the_kubernetes_table(br_catalog):
    text = '# node group "jobs"\n\n[settings.kubernetes]\ncluster-name = "jobs"\n'
    codes, findings = lint(br_catalog, text)
    assert sorted(codes) == [("BR001", 3), ("BR007", 3), ("BR013", 3)]
    message = next(f.message for f in findings if f.code == "BR001")
    for default in ("memory.available<100Mi", "nodefs.available<10%", "nodefs.inodesFree<5%", "imagefs.available<15%"):
        assert default in message


def test_missing_keys_point_at_the_document_start_without_a_kubernetes_header(br_catalog):
    text = '# labels only\n[settings.kubernetes.node-labels]\n"team" = "search"\n'
    codes, _ = lint(br_catalog, text)
    assert ("BR001", 1) in codes and ("BR007", 1) in codes and ("BR013", 1) in codes


def test_misspelled_required_key_is_the_typo_and_the_missing_key(br_catalog):
    """RULES.md literally: the misspelt key is BR010, and the real key is still missing (BR007/BR013): the
    settings model rejects the typo, so nothing sets the value."""
    text = COMPLETE.replace("pod-pids-limit", "podPidsLimit").replace("system-reserved", "systemReserved")
    codes = lint(br_catalog, text)[0]
    assert sorted(c for c, _ in codes) == ["BR007", "BR010", "BR010", "BR013"]


def test_eviction_hard_from_an_unknown_placeholder_is_not_missing(br_catalog):
    text = COMPLETE.split("[settings.kubernetes.eviction-hard]")[0] + "[settings.kubernetes.eviction-hard]\n${eviction_hard}\n"
    # a placeholder alone on a line inserts lines forewarn cannot see: no E001, and no guess about them
    codes = lint(br_catalog, text, name="bottlerocket.tpl", select=("BR", "E001"))[0]
    assert codes == []
    loop = COMPLETE.split("[settings.kubernetes.eviction-hard]")[0] + (
        '[settings.kubernetes.eviction-hard]\n%{ for k, v in eviction_hard ~}\n"${k}" = "${v}"\n%{ endfor ~}\n')
    assert lint(br_catalog, loop, name="bottlerocket.tpl")[0] == []


# ------------------------------------------------------------------------------------------ overlay
def _overlay_doc(overlay: dict, text: str = "") -> BottlerocketSettings:
    res = from_toml_file("nodeclass.yaml", text) if text else BottlerocketSettings(
        path="nodeclass.yaml", format="bottlerocket", address="BottlerocketSettings@EC2NodeClass/general",
        kind="BottlerocketSettings")
    res.line_offset = 30  # userData block starts further down in the YAML file
    res.overlay = overlay
    return res


def test_overlay_replaces_the_users_map_and_findings_point_into_the_yaml(br_catalog):
    user = COMPLETE
    overlay = {"eviction-hard": OverlayValue({"memory.available": "5%"}, Position(18, 5), "nodeclass.yaml",
                                             items={"memory.available": Position(19, 7)})}
    res = _overlay_doc(overlay, user)
    hard = effective(res, "eviction-hard")
    assert hard.from_karpenter and hard.value == {"memory.available": "5%"}
    findings = run(br_catalog, res, "BR002")
    assert [(f.path, f.line, f.column) for f in findings] == [("nodeclass.yaml", 18, 5)]
    assert "spec.kubelet.evictionHard" in findings[0].message


def test_overlay_eviction_hard_satisfies_br001_without_user_data(br_catalog):
    full = {"memory.available": "500Mi", "nodefs.available": "10%", "nodefs.inodesFree": "5%", "imagefs.available": "15%"}
    res = _overlay_doc({"eviction-hard": OverlayValue(full, Position(12, 5), "nodeclass.yaml")})
    res.kubernetes_node = True
    assert not run(br_catalog, res, "BR001") and not run(br_catalog, res, "BR002")
    assert [f.code for f in run(br_catalog, res, "BR007")] == ["BR007"]


def test_overlay_grace_period_covers_user_soft_signal(br_catalog):
    text = COMPLETE + '\n[settings.kubernetes.eviction-soft]\n"memory.available" = "1Gi"\n'
    res = _overlay_doc({"eviction-soft-grace-period": OverlayValue({"memory.available": "1m30s"}, Position(20, 5),
                                                                   "nodeclass.yaml")}, text)
    assert not run(br_catalog, res, "BR003")
    res.overlay = {}
    findings = run(br_catalog, res, "BR003")
    assert [(f.path, f.line) for f in findings] == [("nodeclass.yaml", 30 + 16)]  # user line 16, shifted


def test_overlay_values_are_validated_at_their_signal(br_catalog):
    overlay = {"eviction-soft": OverlayValue({"memory.available": "100%"}, Position(20, 5), "pool.yaml",
                                             items={"memory.available": Position(21, 7)})}
    res = _overlay_doc(overlay, COMPLETE)
    assert [(f.path, f.line, f.column) for f in run(br_catalog, res, "BR004")] == [("pool.yaml", 21, 7)]


def test_overlay_image_gc_mixes_with_user_value(br_catalog):
    text = COMPLETE.replace("pod-pids-limit = 4096", "pod-pids-limit = 4096\nimage-gc-low-threshold-percent = 80")
    res = _overlay_doc({"image-gc-high-threshold-percent": OverlayValue(75, Position(25, 5), "nodeclass.yaml")}, text)
    findings = run(br_catalog, res, "BR008")
    assert len(findings) == 1 and findings[0].line == 30 + 4


# ------------------------------------------------------------------------------------------ values
@pytest.mark.parametrize("high,low,fires", [
    (None, None, False), ("75", None, True), (90, None, False), (None, 70, False), (None, 85, True),
    (85, 80, False), ("85", "90", True), (80, 80, True), (101, None, True), (None, -1, True), (85.5, 80, True),
    (True, None, True), ('"${gc_high}"', None, False),
])
def test_image_gc_matrix(br_catalog, high, low, fires):
    lines = []
    for key, value in (("image-gc-high-threshold-percent", high), ("image-gc-low-threshold-percent", low)):
        if value is None:
            continue
        literal = {True: "true"}.get(value, value) if isinstance(value, bool) else value
        literal = f'"{literal}"' if isinstance(literal, str) and not literal.startswith('"') and not literal == "true" else literal
        lines.append(f"{key} = {literal}")
    text = COMPLETE.replace("pod-pids-limit = 4096", "pod-pids-limit = 4096\n" + "\n".join(lines))
    codes = [c for c, _ in lint(br_catalog, text, name="bottlerocket.tpl")[0]]
    assert ("BR008" in codes) == fires, codes


@pytest.mark.parametrize("soft,hard,fires", [
    ("5%", "10%", True), ("10%", "10%", True), ("15%", "10%", False), ("10%", "1Gi", False), ("1Gi", "10%", False),
    ("1Gi", "1000Mi", False), ("1000Mi", "1Gi", True), ("1G", "1Gi", True), ("2Gi", "2048Mi", True),
    ("0%", "5%", False), ("bogus", "5%", False),
])
def test_soft_not_softer_compares_like_units(br_catalog, soft, hard, fires):
    text = COMPLETE.replace('"memory.available" = "500Mi"', f'"memory.available" = "{hard}"') + (
        f'\n[settings.kubernetes.eviction-soft]\n"memory.available" = "{soft}"\n'
        f'\n[settings.kubernetes.eviction-soft-grace-period]\n"memory.available" = "1m"\n')
    codes = [c for c, _ in lint(br_catalog, text)[0]]
    assert ("BR005" in codes) == fires, codes


def test_soft_without_grace_points_at_each_signal(br_catalog):
    text = COMPLETE.replace("pod-pids-limit = 4096", "pod-pids-limit = 4096\neviction-max-pod-grace-period = 30") + (
        '\n[settings.kubernetes.eviction-soft]\n"memory.available" = "1Gi"\n"nodefs.available" = "15%"\n'
        '"imagefs.available" = "20%"\n\n[settings.kubernetes.eviction-soft-grace-period]\n"nodefs.available" = "1m"\n')
    codes, findings = lint(br_catalog, text)
    assert codes == [("BR003", 17), ("BR003", 19)]
    assert "grace period must be specified" in findings[0].message


def test_unknown_values_are_never_judged(br_catalog):
    text = '''[settings.kubernetes]
cluster-name = "${cluster_name}"
pod-pids-limit = ${pids}
container-log-max-files = ${log_files}
image-gc-high-threshold-percent = ${gc_high}
eviction-max-pod-grace-period = ${max_grace}
system-reserved = ${system_reserved}
eviction-hard = ${eviction_hard}

[settings.kubernetes.eviction-soft]
"memory.available" = "${soft_memory}"
"${extra_signal}" = "10%"

[settings.kubernetes.eviction-soft-grace-period]
"memory.available" = "${soft_grace}"
"${extra_signal}" = "1m"

[settings.host-containers.admin]
enabled = ${enable_admin_container}

[settings.kernel]
lockdown = "${lockdown}"
'''
    assert lint(br_catalog, text, name="bottlerocket.tpl")[0] == []


def test_known_template_variables_are_judged(br_catalog):
    text = COMPLETE + '\n[settings.host-containers.admin]\nenabled = ${enable_admin_container}\n'
    res = from_toml_file("bottlerocket.tpl", text, {"enable_admin_container": True})
    assert [f.line for f in run(br_catalog, res, "BR009")] == [16]
    res = from_toml_file("bottlerocket.tpl", text, {"enable_admin_container": False})
    assert not run(br_catalog, res, "BR009")


# ------------------------------------------------------------------------------------------ BR010
@pytest.mark.parametrize("key,kebabbed", [
    ("evictionHard", "eviction-hard"), ("imageGCHighThresholdPercent", "image-gc-high-threshold-percent"),
    ("max_pods", "max-pods"), ("podPidsLimit", "pod-pids-limit"), ("cpuCFSQuota", "cpu-cfs-quota"),
    ("eviction-hard", "eviction-hard"),
])
def test_kebab(key, kebabbed):
    assert kebab(key) == kebabbed


@pytest.mark.parametrize("key,suggestion", [
    ("evictionHard", "eviction-hard"), ("evictionSoftGracePeriod", "eviction-soft-grace-period"),
    ("imageGCHighThresholdPercent", "image-gc-high-threshold-percent"), ("maxPods", "max-pods"),
    ("podPidsLimit", "pod-pids-limit"), ("systemReserved", "system-reserved"), ("kubeReserved", "kube-reserved"),
    ("max_pods", "max-pods"), ("eviction_hard", "eviction-hard"), ("system_reserved", "system-reserved"),
    ("eviction-soft-grace-periods", "eviction-soft-grace-period"), ("node-label", "node-labels"),
    ("node-taint", "node-taints"), ("image-gc-high-threshold", "image-gc-high-threshold-percent"),
    ("pods-pid-limit", "pod-pids-limit"), ("pod-pid-limit", "pod-pids-limit"), ("kube-reserve", "kube-reserved"),
    ("systems-reserved", "system-reserved"), ("eviction-max-pod-grace", "eviction-max-pod-grace-period"),
    ("cpuCFSQuota", "cpu-cfs-quota-enforced"), ("clusterDNS", "cluster-dns-ip"), ("Max-Pods", "max-pods"),
    ("eviciton-hard", "eviction-hard"),
])
def test_suggestions(br_catalog, key, suggestion):
    known = facts(Context.build([], br_catalog.knowledge))
    assert suggest_key(key, known.allowed, known.aliases)[0] == suggestion


def test_unknown_setting_messages(br_catalog):
    codes, findings = lint(br_catalog, COMPLETE.replace("cluster-name", "clusterName"))
    assert codes == [("BR010", 2)]
    assert "camelCase" in findings[0].message and "did you mean `cluster-name`?" in findings[0].message
    codes, findings = lint(br_catalog, COMPLETE.replace("cluster-name", "kluster-nam"))
    assert codes == [("BR010", 2)] and "did you mean `cluster-name`?" in findings[0].message
    codes, findings = lint(br_catalog, COMPLETE.replace("cluster-name", "flux-capacitor"))
    assert codes == [("BR010", 2)] and "did you mean" not in findings[0].message


def test_misplaced_and_top_level_kubernetes(br_catalog):
    text = '[settings]\nmotd = "hi"\nmax-pods = 58\n\n[settings.kernel]\nlockdown = "integrity"\n\n[kubernetes]\ncluster-name = "x"\n'
    codes, findings = lint(br_catalog, text)
    assert codes == [("BR010", 3), ("BR010", 8)]
    assert "belongs under [settings.kubernetes]" in findings[0].message
    assert "[settings.kubernetes]" in findings[1].message


def test_newer_and_nested_keys_are_allowed(br_catalog):
    text = COMPLETE + ('\n[settings.kubernetes.credential-providers.ecr-credential-provider]\nenabled = true\n'
                       'image-patterns = ["*.dkr.ecr.us-east-1.amazonaws.com"]\n')
    text = text.replace("pod-pids-limit = 4096", 'pod-pids-limit = 4096\nids-per-pod = 65536\nimage-minimum-gc-age = "2m"')
    assert lint(br_catalog, text)[0] == []


# ------------------------------------------------------------------------------------------ BR011
def test_unquoted_dotted_keys_everywhere(br_catalog):
    text = COMPLETE.replace('"nodefs.available" = "10%"', 'nodefs.available = "10%"') + (
        '\n[settings.kubernetes.node-labels]\nteam.example = "search"\n"ok.label" = "x"\n'
        '\n[settings.kubernetes.node-taints]\ndedicated.pool = ["gpu:NoSchedule"]\n'
        '\n[settings.kernel.sysctl]\nvm.max_map_count = "262144"\n'
        '\n[settings.kubernetes.eviction-soft.memory]\navailable = "1Gi"\n')
    codes, findings = lint(br_catalog, text, select=("BR011",))
    assert codes == [("BR011", 11), ("BR011", 16), ("BR011", 20), ("BR011", 23), ("BR011", 25)]
    assert '"nodefs.available"' in findings[0].message
    # the flattened value is still judged as `nodefs.available`: no BR002/BR004 noise
    assert {c for c, _ in lint(br_catalog, text, select=("BR002", "BR004"))[0]} == set()


# ------------------------------------------------------------------------------------------ BR012, BR014, BR015
@pytest.mark.parametrize("value,fires", [(1, True), (0, True), (-1, True), (2, False), (5, False), ('"1"', False)])
def test_container_log_max_files(br_catalog, value, fires):
    text = COMPLETE.replace("pod-pids-limit = 4096", f"pod-pids-limit = 4096\ncontainer-log-max-files = {value}")
    assert (("BR012", 4) in lint(br_catalog, text)[0]) == fires


@pytest.mark.parametrize("nvidia,variant,fires", [
    (None, None, True), (False, None, True), (True, None, False), (None, "aws-k8s-1.31-nvidia", False),
    (None, "aws-dev", False), (None, "aws-k8s-1.31", True), (None, "metal-dev", False),
])
def test_lockdown_none(br_catalog, nvidia, variant, fires):
    res = from_toml_file("settings.toml", COMPLETE + '\n[settings.kernel]\nlockdown = "none"\n')
    res.nvidia, res.variant = nvidia, variant
    assert bool(run(br_catalog, res, "BR014")) == fires
    assert not run(br_catalog, res, "BR015")


@pytest.mark.parametrize("value,fires", [('"integrity"', False), ('"confidentiality"', False), ('"none"', False),
                                         ('"Integrity"', True), ('"enforcing"', True), ("true", True), ('""', True)])
def test_lockdown_values(br_catalog, value, fires):
    text = f"[settings.kernel]\nlockdown = {value}\n"
    assert (("BR015", 2) in lint(br_catalog, text)[0]) == fires


# ------------------------------------------------------------------------------------------ robustness
@pytest.mark.parametrize("text", [
    'settings = "x"\n',
    '[settings]\nkubernetes = "x"\nkernel = 3\nhost-containers = ["a"]\n',
    '[settings.kubernetes]\neviction-hard = 5\neviction-soft = ["memory.available"]\n'
    'eviction-soft-grace-period = "1m"\nsystem-reserved = "1Gi"\nimage-gc-high-threshold-percent = [1]\n',
    '[settings.kubernetes]\neviction-hard = "memory.available<100Mi"\ncontainer-log-max-files = true\n',
    '[settings.kubernetes.eviction-hard]\n"memory.available" = 100\n"nodefs.available" = true\n',
    '[[settings.kubernetes]]\nmax-pods = 3\n',
    '[settings.host-containers]\nadmin = true\n[settings.kernel.sysctl]\n"a.b" = 1\n',
])
def test_odd_shapes_do_not_crash(br_catalog, text):
    lint(br_catalog, text)


def test_eviction_map_written_as_a_flag_string_is_invalid(br_catalog):
    text = COMPLETE.split("[settings.kubernetes.eviction-hard]")[0].replace(
        "pod-pids-limit = 4096", 'pod-pids-limit = 4096\neviction-hard = "memory.available<100Mi"')
    assert lint(br_catalog, text)[0] == [("BR004", 4)]


def test_embedded_documents_are_shifted(br_catalog):
    res = from_toml_file("main.tf", '[settings.kernel]\nlockdown = "Integrity"\n')
    res.line_offset, res.column_offset = 40, 4
    assert [(f.path, f.line, f.column) for f in run(br_catalog, res, "BR015")] == [("main.tf", 42, 5)]


# ------------------------------------------------------------------------------------------ replay nodes2 D4/D7/M1
def test_a_key_spelled_only_in_a_dotted_header_points_at_that_header(br_catalog):
    """A table that exists only as an intermediate part of a header (an implicit table) is located at the
    first header that spells it, not at the enclosing [settings.kubernetes] (replay nodes2 D4)."""
    from forewarn.parse.tomldoc import parse_toml

    text = ('[settings.kubernetes]\npod-pids-limit = 1024\n\n'
            '[settings.kubernetes.credential-provider.ecr-credential-provider]\nenabled = true\n'
            '[settings.kubernetes.credential-provider.other]\nenabled = true\n')
    _, index = parse_toml(text)
    assert index.at(("settings", "kubernetes", "credential-provider")) == Position(4, 1)
    assert index.at(("settings", "kubernetes", "credential-provider", "missing")) == Position(4, 1)
    assert index.table(("settings", "kubernetes", "credential-provider")) is None  # still not a written header
    assert ("BR010", 4) in lint(br_catalog, text)[0]
    # the missing-key anchor is still only a written [settings.kubernetes] table
    res = from_toml_file("u.toml", '# labels\n[settings.kubernetes.node-labels]\n"team" = "x"\n')
    assert res.missing_position() == Position(1, 1)


@pytest.mark.parametrize("text,line", [
    ("[settings.kubernetes]\npod-pids-limit = 1024\n\n[settings.kubernetes]\nmax-pods = 58\n\n"
     "[settings.host-containers.admin]\nenabled = false\n", 4),
    ("[settings.kubernetes]\nmax-pods = 58\n[settings.kubernetes]\n", 3),
    ("[settings.kubernetes]\nmax-pods = 1\npod-pids-limit = 2\nmax-pods = 3\n[settings.kernel]\n", 4),
    ("[settings]\nkubernetes.max-pods = 1\n\n[settings.kubernetes]\npod-pids-limit = 2\n[x]\n", 4),
    ("[settings.kubernetes.eviction-hard]\n\"a\" = \"1%\"\n[settings.kubernetes]\n"
     "eviction-hard.\"b\" = \"2%\"\n[z]\nw = 1\n", 4),
    ("[settings]\nkubernetes = { max-pods = 1 }\n[settings.kubernetes]\npod-pids-limit = 2\n", 3),
    ("[settings]\nkubernetes = { max-pods = 1 }\nkubernetes.pod-pids-limit = 2\n", 3),
    ("[settings.kubernetes]\neviction-hard = { \"a\" = \"1%\", \"a\" = \"2%\" }\n", 2),
    ("[settings.kubernetes]\na = 1\n[settings.kubernetes.b]\nc = 1\n[settings.kubernetes]\nd = 1\n", 5),
    ("[[settings.items]]\nx = 1\n[settings.items]\n", 3),
    ("[settings.kubernetes.eviction-hard]\n\"a\" = \"1%\"\n[[settings.kubernetes]]\n", 3),
    ('[settings."kubernetes"]\nx = 1\n[settings.kubernetes]\ny = 1\n', 3),
])
def test_duplicate_tables_and_keys_are_reported_at_the_second_definition(br_catalog, text, line):
    """tomlkit reports a redefinition where it notices it (the next header, the file end, or nowhere);
    E001 points at the second definition instead, the line Python's tomllib names too (replay nodes2 D7)."""
    import tomllib

    with pytest.raises(tomllib.TOMLDecodeError, match=f"line {line},"):
        tomllib.loads(text)
    result = scan_text("node.toml", text, br_catalog, select=["E001"])
    assert [(f.code, f.line) for f in result.findings] == [("E001", line)]
    assert "already exists" in result.findings[0].message or "Redefinition" in result.findings[0].message


@pytest.mark.parametrize("text", [
    "[settings.kubernetes.eviction-hard]\n\"a\" = \"1%\"\n[settings.kubernetes]\nmax-pods = 1\n",
    "[settings.kubernetes.eviction-hard]\n\"a\" = \"1%\"\n[settings]\nkubernetes.max-pods = 1\n",
    "[settings]\nkubernetes.max-pods = 1\n[settings.kubernetes.eviction-hard]\n\"a\" = \"1%\"\n",
    "[[a]]\nx = 1\n[a.b]\ny = 1\n[[a]]\nx = 2\n[a.b]\ny = 2\n",
    "[s]\nlist = [{ x = 1 }, { x = 1 }]\n",
    "[s]\nk.a = 1\nother = 2\nk.b = 3\n",
])
def test_valid_redefinition_lookalikes_are_not_duplicates(text):
    import tomllib

    from forewarn.parse.tomldoc import find_redefinition

    tomllib.loads(text)
    assert find_redefinition(text) is None


@pytest.mark.parametrize("soft,hard,word", [
    ("1Gi", "1024Mi", "equals"), ("1.5Gi", "1536Mi", "equals"), ("10%", "10.0%", "equals"),
    ("1Gi", "1Gi", "equals"), ("1000Mi", "1Gi", "is below"), ("5%", "10%", "is below"),
])
def test_soft_not_softer_message_says_equals_for_the_same_amount(br_catalog, soft, hard, word):
    """`1Gi` and `1024Mi` are the same number of bytes: the message says "equals" (replay nodes2 M1)."""
    text = COMPLETE.replace('"memory.available" = "500Mi"', f'"memory.available" = "{hard}"') + (
        f'\n[settings.kubernetes.eviction-soft]\n"memory.available" = "{soft}"\n'
        f'\n[settings.kubernetes.eviction-soft-grace-period]\n"memory.available" = "1m"\n')
    findings = [f for f in lint(br_catalog, text)[1] if f.code == "BR005"]
    assert len(findings) == 1
    assert f'= "{soft}" {word} eviction-hard' in findings[0].message
