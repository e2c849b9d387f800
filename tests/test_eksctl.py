"""eksctl ClusterConfig: Bottlerocket node groups become settings resources with positions in the YAML."""
from __future__ import annotations

import pytest

from conftest import scan_paths, scan_text
from forewarn.findings import Position
from forewarn.model import eksctl
from forewarn.model.kubernetes_load import objects_from_docs
from forewarn.parse.yamldoc import load_stream

CONFIG = """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: prod
  region: us-east-2
managedNodeGroups:
  - name: general
    amiFamily: Bottlerocket
    instanceTypes: ["m6i.2xlarge"]
    bottlerocket:
      enableAdminContainer: true
      settings:
        motd: "hello"
        kubernetes:
          pod-pids-limit: 4096
          eviction-hard:
            memory.available: "5%"
            nodefs.available: "10%"
nodeGroups:
  - name: gpu
    amiFamily: Bottlerocket
    instanceType: g5.2xlarge
    ssh:
      allow: true
  - name: al2023
    amiFamily: AmazonLinux2023
    instanceType: m6i.large
"""


def derive(text: str, path: str = "cluster.yaml"):
    return eksctl.derive_settings(objects_from_docs(path, load_stream(text)))


def position_of(text: str, needle: str, nth: int = 0) -> Position:
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        col = line.find(needle)
        if col >= 0:
            hits.append(Position(number, col + 1))
    return hits[nth]


def test_one_resource_per_bottlerocket_node_group():
    general, gpu = derive(CONFIG)
    assert general.address == "ClusterConfig/prod/managedNodeGroups/general" and general.managed
    assert gpu.address == "ClusterConfig/prod/nodeGroups/gpu" and not gpu.managed
    assert general.host == gpu.host == "eksctl"
    assert general.kubernetes_node is True and gpu.kubernetes_node is True
    assert gpu.nvidia is True and general.nvidia is None


def test_settings_and_positions_come_from_the_yaml():
    general, _ = derive(CONFIG)
    assert general.kubernetes["eviction-hard"] == {"memory.available": "5%", "nodefs.available": "10%"}
    assert general.locate(general.at("kubernetes", "pod-pids-limit")) == position_of(CONFIG, "pod-pids-limit")
    assert general.at("kubernetes", "eviction-hard", "memory.available") == position_of(CONFIG, "memory.available")
    assert general.index.table(("settings", "kubernetes")) == position_of(CONFIG, "kubernetes:")
    assert all(all(info.quoted) for info in general.index.keys.values())  # eksctl quotes every key
    assert general.missing_position() == position_of(CONFIG, "kubernetes:")


def test_admin_container_from_enable_flag_and_ssh():
    general, gpu = derive(CONFIG)
    assert general.settings["host-containers"]["admin"]["enabled"] is True
    assert general.at("host-containers", "admin", "enabled") == position_of(CONFIG, "enableAdminContainer")
    assert gpu.settings["host-containers"]["admin"]["enabled"] is True
    assert gpu.at("host-containers", "admin", "enabled") == position_of(CONFIG, "allow: true")


def test_explicit_admin_setting_wins():
    text = CONFIG.replace('        motd: "hello"\n', '        motd: "hello"\n        host-containers:\n          admin:\n            enabled: false\n')
    general, _ = derive(text)
    assert general.settings["host-containers"]["admin"]["enabled"] is False


def test_group_without_settings_points_at_the_group():
    _, gpu = derive(CONFIG)
    assert gpu.data == {"settings": {"host-containers": {"admin": {"enabled": True}}}}
    assert gpu.missing_position() == position_of(CONFIG, "name: gpu")


def test_br_rules_judge_node_groups_at_yaml_lines(catalog, tmp_path):
    (tmp_path / "cluster.yaml").write_text(CONFIG, encoding="utf-8")
    findings = scan_paths([tmp_path], catalog, select=["BR"]).findings
    got = {(f.code, f.line) for f in findings}
    assert ("BR002", position_of(CONFIG, "eviction-hard:").line) in got
    assert ("BR009", position_of(CONFIG, "enableAdminContainer").line) in got
    assert ("BR009", position_of(CONFIG, "allow: true").line) in got
    assert ("BR001", position_of(CONFIG, "name: gpu").line) in got
    assert not any(f.line >= position_of(CONFIG, "name: al2023").line for f in findings)
    assert not any(f.code == "BR011" for f in findings)  # dotted YAML keys are quoted by eksctl


@pytest.mark.parametrize(
    "groups",
    [
        "nodeGroups: not-a-list\n",
        "nodeGroups:\n  - just-a-string\n  - null\n",
        "managedNodeGroups:\n  - name: x\n    amiFamily: Bottlerocket\n    bottlerocket: yes\n",
        "managedNodeGroups:\n  - name: x\n    amiFamily: Bottlerocket\n    bottlerocket:\n      settings: [1, 2]\n",
        "managedNodeGroups:\n  - amiFamily: Bottlerocket\n    bottlerocket:\n      settings:\n        kubernetes: 5\n        host-containers: 3\n    ssh: {allow: true}\n",
        "managedNodeGroups:\n  - name: x\n    amiFamily: Bottlerocket\n    bottlerocket:\n      settings:\n        1: true\n        kubernetes:\n          eviction-hard: {memory: {available: 10%}}\n",
    ],
)
def test_odd_input_does_not_crash(groups, catalog):
    text = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: odd\n" + groups
    derive(text)
    scan_text("cluster.yaml", text, catalog)


def test_yaml_index_falls_back_to_its_anchor():
    index = eksctl.YamlIndex(anchor=Position(7, 5))
    assert index.at(("settings", "kubernetes", "eviction-hard")) == Position(7, 5)
    assert index.at(("settings",), Position(2, 1)) == Position(2, 1)


def test_nested_yaml_signal_is_br011_with_a_yaml_fix():
    """eksctl renders `memory: {available: 5%}` as the table [..eviction-hard.memory]: the fix is YAML."""
    text = CONFIG.replace('memory.available: "5%"', 'memory:\n              available: "5%"')
    assert text != CONFIG
    found = [f for f in scan_text("cluster.yaml", text).findings if f.code == "BR011"]
    assert len(found) == 1 and "memory.available: ..." in found[0].message and '" = ...' not in found[0].message


@pytest.mark.parametrize("ami,nvidia", [
    (None, True), ("auto", True), ("auto-ssm", True), ("ami-0c9f1e7d5b3a2c4e6", None), ("", True),
])
def test_gpu_instance_type_is_nvidia_only_when_eksctl_resolves_the_ami(ami, nvidia):
    """eksctl picks the `-nvidia` SSM parameter for a GPU instance type only when it resolves the AMI
    itself; a pinned `ami:` could be any variant, and unknown counts as not NVIDIA (replay nodes2 D9)."""
    line = "" if ami is None else f'    ami: "{ami}"\n'
    text = ("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c, region: us-west-2}\n"
            "nodeGroups:\n  - name: gpu\n    amiFamily: Bottlerocket\n" + line + "    instanceType: g5.2xlarge\n")
    (res,) = derive(text)
    assert res.nvidia is nvidia
