"""Karpenter EC2NodeClass: Bottlerocket detection, userData positions, the spec.kubelet overlay, KAR001/KAR002."""
from __future__ import annotations

import textwrap

import pytest

from conftest import scan_paths, scan_text
from forewarn.findings import Position
from forewarn.model import karpenter
from forewarn.model.kubernetes_load import objects_from_docs
from forewarn.parse.tomldoc import is_unknown
from forewarn.parse.yamldoc import load_stream

HEAD = """\
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: nodes
spec:
  role: KarpenterNodeRole-prod
  amiSelectorTerms:
    - alias: bottlerocket@latest
  subnetSelectorTerms:
    - tags: {karpenter.sh/discovery: prod}
"""


def objects(text: str, path: str = "nodeclass.yaml"):
    return objects_from_docs(path, load_stream(text))


def derive(text: str, path: str = "nodeclass.yaml", tmp_path=None):
    """Derive settings as the loader does; with tmp_path the YAML is on disk (the normal case)."""
    if tmp_path is not None:
        file = tmp_path / path
        file.write_text(text, encoding="utf-8")
        path = str(file)
    return karpenter.derive(objects(text, path))


def position_of(text: str, needle: str) -> Position:
    """1-based line/column of the first occurrence of `needle` in `text`."""
    for number, line in enumerate(text.splitlines(), start=1):
        col = line.find(needle)
        if col >= 0:
            return Position(number, col + 1)
    raise AssertionError(needle)


def located(res, *path) -> Position:
    return res.locate(res.index.at(("settings",) + path))


# ------------------------------------------------------------------------------------------- detection
@pytest.mark.parametrize(
    "spec, bottlerocket, merged",
    [
        ("  amiSelectorTerms:\n    - alias: bottlerocket@latest\n", True, True),
        ("  amiSelectorTerms:\n    - alias: bottlerocket@v1.20.4\n", True, True),
        ("  amiFamily: Bottlerocket\n  amiSelectorTerms:\n    - id: ami-0123456789abcdef0\n", True, True),
        ("  amiFamily: Custom\n  amiSelectorTerms:\n    - alias: bottlerocket@latest\n", True, False),
        ("  amiSelectorTerms:\n    - alias: al2023@latest\n", False, False),
        ("  amiFamily: AL2\n  amiSelectorTerms:\n    - tags: {team: x}\n", False, False),
        ("  amiSelectorTerms: bottlerocket\n", False, False),
    ],
)
def test_detection(spec, bottlerocket, merged):
    text = "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata:\n  name: n\nspec:\n" + spec
    (obj,) = objects(text)
    assert karpenter.is_bottlerocket(obj) is bottlerocket
    assert karpenter.merges_user_data(obj) is merged


def test_other_kinds_and_groups_are_ignored():
    text = HEAD.replace("karpenter.k8s.aws/v1", "example.com/v1")
    assert derive(text).resources == []


# ------------------------------------------------------------------------------------------- userData positions
USER_DATA = HEAD + """\
  userData:  |
    [settings.kubernetes]
    pod-pids-limit = 4096

    [settings.kubernetes.eviction-hard]
    "memory.available" = "500Mi"
"""


def test_block_scalar_positions_land_on_the_yaml_text(tmp_path):
    (res,) = derive(USER_DATA, tmp_path=tmp_path).resources
    assert res.data["settings"]["kubernetes"]["pod-pids-limit"] == 4096
    assert located(res, "kubernetes", "pod-pids-limit") == position_of(USER_DATA, "pod-pids-limit")
    assert located(res, "kubernetes", "eviction-hard", "memory.available") == position_of(USER_DATA, '"memory.available"')
    assert located(res, "kubernetes", "eviction-hard") == position_of(USER_DATA, "[settings.kubernetes.eviction-hard]")
    assert res.host == "karpenter" and res.kubernetes_node is True and res.merged
    assert not res.notes


def test_indentation_indicator_and_chomping(tmp_path):
    text = HEAD + "  userData: |2-\n      [settings.kubernetes]\n      pod-pids-limit = 100\n"
    (res,) = derive(text, tmp_path=tmp_path).resources
    # |2 below a key indented by 2: content indentation 4; the two extra spaces are part of the TOML text
    pos = located(res, "kubernetes", "pod-pids-limit")
    assert pos == position_of(text, "pod-pids-limit")


@pytest.mark.parametrize(
    "value, note",
    [
        ('"[settings.kubernetes]\\npod-pids-limit = 100\\n"', "quoted"),
        (">\n    [settings.kubernetes]\n\n    pod-pids-limit = 100\n", "folded"),
    ],
)
def test_quoted_and_folded_userdata_point_at_the_key(tmp_path, value, note):
    text = HEAD + "  userData: " + value + ("\n" if not value.endswith("\n") else "")
    (res,) = derive(text, tmp_path=tmp_path).resources
    assert res.data["settings"]["kubernetes"]["pod-pids-limit"] == 100
    assert located(res, "kubernetes", "pod-pids-limit") == position_of(text, "userData")
    assert any(note in n for n in res.notes)


def test_without_the_file_lines_are_exact_and_columns_estimated():
    (res,) = derive(USER_DATA, path="not-on-disk/nodeclass.yaml").resources
    assert located(res, "kubernetes", "pod-pids-limit").line == position_of(USER_DATA, "pod-pids-limit").line
    assert any("estimated" in n for n in res.notes)


def test_stale_file_on_disk_is_not_trusted(tmp_path):
    (tmp_path / "nodeclass.yaml").write_text("something else entirely\n", encoding="utf-8")
    objs = objects(USER_DATA, str(tmp_path / "nodeclass.yaml"))
    (res,) = karpenter.derive(objs).resources
    assert located(res, "kubernetes", "pod-pids-limit").line == position_of(USER_DATA, "pod-pids-limit").line


def test_toml_syntax_error_is_a_problem_not_a_resource(tmp_path):
    text = HEAD + '  userData: |\n    [settings.kubernetes]\n    pod-pids-limit = "4096\n'
    out = derive(text, tmp_path=tmp_path)
    assert out.resources == []
    ((path, pos, message),) = out.problems
    assert path.endswith("nodeclass.yaml")
    assert pos.line == position_of(text, "pod-pids-limit").line
    assert "spec.userData" in message and "TOML" in message
    assert karpenter.derive_problems(objects(text, path)) == out.problems


def test_placeholders_are_unknown_not_errors(tmp_path):
    text = HEAD + "  userData: |\n    [settings.kubernetes]\n    max-pods = ${MAX_PODS}\n    cluster-name = \"${CLUSTER}\"\n"
    out = derive(text, tmp_path=tmp_path)
    assert out.problems == []
    (res,) = out.resources
    assert is_unknown(res.kubernetes["max-pods"]) and is_unknown(res.kubernetes["cluster-name"])
    assert located(res, "kubernetes", "max-pods") == position_of(text, "max-pods")


def test_custom_family_passes_userdata_through():
    script = HEAD.replace("spec:\n", "spec:\n  amiFamily: Custom\n") + "  userData: |\n    #!/bin/bash\n    echo hi\n"
    assert derive(script).resources == [] and derive(script).problems == []
    toml = HEAD.replace("spec:\n", "spec:\n  amiFamily: Custom\n") + (
        "  kubelet:\n    maxPods: 20\n  userData: |\n    [settings.kubernetes]\n    max-pods = 29\n"
    )
    (res,) = derive(toml).resources
    assert res.merged is False and res.overlay == {}


# ------------------------------------------------------------------------------------------- overlay
KUBELET = HEAD + """\
  kubelet:
    maxPods: 58
    clusterDNS: ["172.20.0.10", "169.254.20.10"]
    systemReserved:
      cpu: 100m
      memory: 512Mi
    evictionHard:
      memory.available: 5%
      nodefs.available: 10%
    evictionSoft:
      memory.available: 10%
    evictionSoftGracePeriod:
      memory.available: 90s
    evictionMaxPodGracePeriod: 60
    imageGCHighThresholdPercent: 80
    imageGCLowThresholdPercent: 70
    cpuCFSQuota: false
"""


def test_overlay_from_spec_kubelet(tmp_path):
    (res,) = derive(KUBELET, tmp_path=tmp_path).resources
    ov = res.overlay
    assert set(ov) == {
        "max-pods", "cluster-dns-ip", "system-reserved", "eviction-hard", "eviction-soft",
        "eviction-soft-grace-period", "eviction-max-pod-grace-period", "image-gc-high-threshold-percent",
        "image-gc-low-threshold-percent", "cpu-cfs-quota-enforced",
    }
    assert ov["eviction-hard"].value == {"memory.available": "5%", "nodefs.available": "10%"}
    assert ov["eviction-hard"].position == position_of(KUBELET, "evictionHard")
    assert ov["eviction-hard"].path == res.path
    assert ov["eviction-hard"].items["nodefs.available"] == position_of(KUBELET, "nodefs.available")
    assert ov["eviction-soft-grace-period"].value == {"memory.available": "1m30s"}  # as Karpenter writes it
    assert ov["cluster-dns-ip"].value == "172.20.0.10"
    assert ov["cpu-cfs-quota-enforced"].value is False
    assert ov["image-gc-high-threshold-percent"].value == 80
    # no userData: judged on spec.kubelet alone; missing keys point at spec.kubelet
    assert res.data == {} and res.locate(res.missing_position()) == position_of(KUBELET, "kubelet:")


def test_pods_per_core_makes_max_pods_unknown():
    text = HEAD + "  kubelet:\n    podsPerCore: 10\n"
    (res,) = derive(text).resources
    assert is_unknown(res.overlay["max-pods"].value)


@pytest.mark.parametrize(
    "text, expected",
    [("90s", "1m30s"), ("1m", "1m0s"), ("2h", "2h0m0s"), ("1.5m", "1m30s"), ("500ms", "500ms"), ("0", "0s"),
     ("1m2h", "2h1m0s"), ("90", None), ("", None), (5, None)],
)
def test_go_duration(text, expected):
    assert karpenter.go_duration(text) == expected


def test_v1beta1_overlay_comes_from_the_nodepool(tmp_path):
    pool = textwrap.dedent("""\
        apiVersion: karpenter.sh/v1beta1
        kind: NodePool
        metadata:
          name: default
        spec:
          template:
            spec:
              nodeClassRef:
                name: br
              kubelet:
                evictionHard:
                  memory.available: 750Mi
        """)
    cls = textwrap.dedent("""\
        apiVersion: karpenter.k8s.aws/v1beta1
        kind: EC2NodeClass
        metadata:
          name: br
        spec:
          amiFamily: Bottlerocket
          role: KarpenterNodeRole
        """)
    (tmp_path / "nodepool.yaml").write_text(pool, encoding="utf-8")
    (tmp_path / "nodeclass.yaml").write_text(cls, encoding="utf-8")
    objs = objects(pool, str(tmp_path / "nodepool.yaml")) + objects(cls, str(tmp_path / "nodeclass.yaml"))
    (res,) = karpenter.derive(objs).resources
    ov = res.overlay["eviction-hard"]
    assert ov.path.endswith("nodepool.yaml") and ov.position == position_of(pool, "evictionHard")
    assert res.node_pool is not None and res.node_pool.name == "default"


@pytest.mark.parametrize(
    "spec",
    [
        "spec: just-a-string\n",
        "spec:\n  amiFamily: Bottlerocket\n  userData: 42\n",
        "spec:\n  amiFamily: Bottlerocket\n  kubelet: [1, 2]\n  blockDeviceMappings: xvda\n",
        "spec:\n  amiFamily: Bottlerocket\n  kubelet:\n    evictionHard: 10%\n    clusterDNS: 10.0.0.10\n",
        "spec:\n  amiFamily: Bottlerocket\n  blockDeviceMappings:\n    - deviceName: null\n    - 7\n",
        "spec:\n  amiSelectorTerms: [{alias: 3}, null]\n  userData: |\n    [settings]\n    kubernetes = 5\n",
        "spec:\n  amiFamily: Bottlerocket\n  userData: |\n    [settings]\n    kubernetes = 5\n",
        "spec:\n  amiFamily: Bottlerocket\n  userData: ''\n  kubelet:\n    evictionSoftGracePeriod: {memory.available: 7}\n",
    ],
)
def test_odd_input_does_not_crash(spec, catalog):
    text = "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata:\n  name: odd\n" + spec
    derive(text)
    scan_text("nodeclass.yaml", text, catalog)


# ------------------------------------------------------------------------------------------- KAR001
def _kar001(text, catalog):
    return [f for f in scan_text("nodeclass.yaml", text, catalog, select=["KAR001"]).findings]


def _with_mappings(*pairs, extra=""):
    text = HEAD + extra + "  blockDeviceMappings:\n"
    for dev, size in pairs:
        text += f"    - deviceName: {dev}\n      ebs:\n        volumeSize: {size}\n        volumeType: gp3\n"
    return text


def test_kar001_root_only_points_at_xvda(catalog):
    text = _with_mappings(("/dev/xvda", "100Gi"))
    (finding,) = _kar001(text, catalog)
    assert (finding.line, finding.column) == (position_of(text, "deviceName: /dev/xvda").line, 7)
    assert "100Gi" in finding.message and "/dev/xvdb" in finding.message


def test_kar001_small_root_only_still_loses_the_data_volume_settings(catalog):
    (finding,) = _kar001(_with_mappings(("/dev/xvda", "4Gi")), catalog)
    assert "AMI's own /dev/xvdb mapping" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        _with_mappings(("/dev/xvda", "4Gi"), ("/dev/xvdb", "100Gi")),
        _with_mappings(("/dev/xvdb", "100Gi")),
        _with_mappings(("/dev/xvda", "100Gi"), extra="  instanceStorePolicy: RAID0\n"),
        HEAD,  # blockDeviceMappings omitted: Karpenter's defaults include xvdb
        _with_mappings(("/dev/xvda", "100Gi")).replace("bottlerocket@latest", "al2023@latest"),
        _with_mappings(("/dev/xvda", "100Gi")) + (
            "  userData: |\n    [settings.bootstrap-commands.k8s-ephemeral-storage]\n"
            '    commands = [["apiclient", "ephemeral-storage", "init"], ["apiclient", "ephemeral-storage", "bind"]]\n'
            '    essential = true\n    mode = "always"\n'
        ),
    ],
    ids=["xvdb-mapped", "only-xvdb", "raid0", "omitted", "al2023", "user-ephemeral-storage"],
)
def test_kar001_must_not_trigger(text, catalog):
    assert _kar001(text, catalog) == []


# ------------------------------------------------------------------------------------------- KAR002
OVERRIDDEN = HEAD + """\
  kubelet:
    evictionHard:
      memory.available: 5%
      nodefs.available: 10%
      nodefs.inodesFree: 5%
      imagefs.available: 15%
  userData: |
    [settings.kubernetes]
    cluster-name = "prod"
    max-pods = 110
    pod-pids-limit = 4096
    [settings.kubernetes.node-labels]
    "team" = "payments"
    [settings.kubernetes.node-taints]
    dedicated = ["payments:NoSchedule"]
    [settings.kubernetes.eviction-hard]
    "memory.available" = "1Gi"
"""


def test_kar002_points_at_each_overwritten_key(catalog, tmp_path):
    (tmp_path / "nodeclass.yaml").write_text(OVERRIDDEN, encoding="utf-8")
    findings = [f for f in scan_paths([tmp_path], catalog, select=["KAR002"]).findings]
    got = {(f.line, f.column) for f in findings}
    want = {
        position_of(OVERRIDDEN, "cluster-name"),
        position_of(OVERRIDDEN, "max-pods"),
        position_of(OVERRIDDEN, "[settings.kubernetes.node-taints]"),
        position_of(OVERRIDDEN, "[settings.kubernetes.eviction-hard]"),
    }
    assert got == {(p.line, p.column) for p in want}
    evict = next(f for f in findings if f.line == position_of(OVERRIDDEN, "[settings.kubernetes.eviction-hard]").line)
    assert "spec.kubelet.evictionHard" in evict.message
    assert f"line {position_of(OVERRIDDEN, 'evictionHard').line}" in evict.message


def test_kar002_not_for_custom_family_or_labels(catalog):
    text = OVERRIDDEN.replace("spec:\n", "spec:\n  amiFamily: Custom\n", 1)
    assert [f for f in scan_text("nodeclass.yaml", text, catalog, select=["KAR002"]).findings] == []
    labels = HEAD + '  userData: |\n    [settings.kubernetes.node-labels]\n    "team" = "payments"\n'
    assert [f for f in scan_text("nodeclass.yaml", labels, catalog, select=["KAR002"]).findings] == []


# ------------------------------------------------------------------------------------------- BR on the host
def test_kubelet_eviction_hard_satisfies_br001(catalog):
    text = HEAD + (
        "  kubelet:\n    evictionHard:\n      memory.available: 5%\n      nodefs.available: 10%\n"
        "      nodefs.inodesFree: 5%\n      imagefs.available: 15%\n"
    )
    codes = {f.code for f in scan_text("nodeclass.yaml", text, catalog, select=["BR001", "BR002"]).findings}
    assert codes == set()


def test_br_findings_in_userdata_point_into_the_yaml(catalog, tmp_path):
    text = HEAD + '  userData: |\n    [settings.kubernetes]\n    pod-pids-limit = 4096\n    [settings.kubernetes.eviction-hard]\n    "memory.available" = "500Mi"\n'
    (tmp_path / "nodeclass.yaml").write_text(text, encoding="utf-8")
    (finding,) = [f for f in scan_paths([tmp_path], catalog, select=["BR002"]).findings]
    assert Position(finding.line, finding.column) == position_of(text, "[settings.kubernetes.eviction-hard]")


def test_userdata_without_kubernetes_table_anchors_missing_keys_at_spec_kubelet(tmp_path):
    text = HEAD + "  kubelet:\n    maxPods: 58\n  userData: |\n    [settings.host-containers.admin]\n    enabled = false\n"
    (res,) = derive(text, tmp_path=tmp_path).resources
    assert res.locate(res.missing_position()) == position_of(text, "kubelet:")
    no_kubelet = HEAD + "  userData: |\n    [settings.host-containers.admin]\n    enabled = false\n"
    (res,) = derive(no_kubelet, tmp_path=tmp_path).resources
    assert res.locate(res.missing_position()) == position_of(no_kubelet, "[settings.host-containers.admin]")


def test_loader_sources_give_exact_columns_without_the_file():
    objs = objects(USER_DATA, "stdin-name.yaml")
    (res,) = karpenter.derive(objs, sources={"stdin-name.yaml": USER_DATA}).resources
    assert located(res, "kubernetes", "pod-pids-limit") == position_of(USER_DATA, "pod-pids-limit")
    assert not res.notes
