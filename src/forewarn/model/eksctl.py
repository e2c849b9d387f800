"""eksctl `ClusterConfig` node groups running Bottlerocket: their settings, written as YAML, judged as settings.

eksctl (`pkg/nodebootstrap/bottlerocket.go`, `managed_bottlerocket.go`) turns `bottlerocket.settings` of a node
group with `amiFamily: Bottlerocket` into the node's TOML user data verbatim (keys quoted, so a dotted YAML key
stays one key), adds the cluster bootstrap keys itself, and sets `settings.host-containers.admin.enabled` from
`bottlerocket.enableAdminContainer` — or, when that is unset, from `ssh.allow` — unless the settings set it.

Every Bottlerocket node group becomes a `BottlerocketSettings` resource, also one without a `settings` block:
its node still runs a kubelet with whatever eviction settings (none) it was given, so the BR rules about
missing keys apply to it (RULES.md "effective settings of a Kubernetes node"). The index answers like a
`TomlIndex`, with positions of the YAML keys, so findings point at the ClusterConfig lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..findings import Position
from ..parse.tomldoc import KeyInfo, TomlIndex
from ..parse.yamldoc import YList, YMap
from .bottlerocket import BottlerocketSettings

NODE_GROUP_LISTS = ("nodeGroups", "managedNodeGroups")
# eksctl picks the NVIDIA Bottlerocket variant for GPU instance types (P and G families; g5g is Arm + NVIDIA).
_NVIDIA_INSTANCE = re.compile(r"^(p[0-9]|g[0-9])", re.I)
# `ami:` values that leave the image to eksctl's resolver (pkg/ami); anything else is an image id it uses as is
_RESOLVER_KEYWORDS = ("auto", "auto-ssm")


@dataclass
class YamlIndex(TomlIndex):
    """A `TomlIndex` over YAML: `keys`/`tables` hold absolute positions in the host file.

    Every key counts as quoted (eksctl quotes keys when it writes the TOML), and a path with nothing written
    falls back to `anchor` (the mapping that should hold the missing key) instead of line 1.
    """

    anchor: Position = field(default_factory=lambda: Position(1, 1))

    def at(self, path: tuple, fallback: Position | None = None) -> Position:
        return super().at(path, fallback or self.anchor)

    def add_mapping(self, mapping, prefix: tuple) -> None:
        """Record every key of `mapping` (and of the mappings below it) under `prefix`."""
        if not isinstance(mapping, YMap):
            return
        for key, value in mapping.items():
            path = prefix + (_key_text(key),)
            pos = mapping.key_pos.get(key, mapping.pos)
            self.keys.setdefault(path, KeyInfo(pos, (True,), str(key)))
            if isinstance(value, YMap):
                self.tables.setdefault(path, pos)
                self.add_mapping(value, path)


def _key_text(key) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "" if key is None else str(key)


def plain(value):
    """YAML mappings and lists as plain dicts/lists with string keys (what eksctl marshals into TOML)."""
    if isinstance(value, dict):
        return {_key_text(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@dataclass
class EksctlSettings(BottlerocketSettings):
    """The Bottlerocket settings of one eksctl node group (positions are absolute: offsets stay 0)."""

    host: str = "eksctl"
    node_group: str = ""
    managed: bool = False


def is_cluster_config(obj) -> bool:
    return getattr(obj, "kind", "") == "ClusterConfig" and str(obj.data.get("apiVersion") or "").startswith("eksctl.io/")


def is_bottlerocket_group(group) -> bool:
    family = group.get("amiFamily") if isinstance(group, dict) else None
    return isinstance(family, str) and family.strip().lower() == "bottlerocket"


def derive_settings(objects) -> list[BottlerocketSettings]:
    """One `EksctlSettings` per Bottlerocket node group of every eksctl ClusterConfig in the scan."""
    out: list[BottlerocketSettings] = []
    for obj in objects:
        if not is_cluster_config(obj):
            continue
        cluster = str(obj.metadata.get("name") or "?")
        for list_key in [k for k in obj.data if k in NODE_GROUP_LISTS]:  # document order
            groups = obj.data.get(list_key)
            if not isinstance(groups, YList):
                continue
            for i, group in enumerate(groups):
                if isinstance(group, YMap) and is_bottlerocket_group(group):
                    out.append(_settings_for_group(obj, cluster, list_key, group, groups.at(i)))
    return out


def _settings_for_group(obj, cluster: str, list_key: str, group: YMap, item_pos: Position) -> EksctlSettings:
    name = str(group.get("name") or "?")
    br = group.get("bottlerocket")
    br = br if isinstance(br, YMap) else None
    settings = br.get("settings") if br is not None else None

    # Where a finding about a missing key points: the `settings:` mapping, else `bottlerocket:`, else the group.
    if br is not None and "settings" in br:
        anchor = br.at("settings")
    elif "bottlerocket" in group:
        anchor = group.at("bottlerocket")
    elif "name" in group:
        anchor = group.at("name")
    else:
        anchor = item_pos
    index = YamlIndex(anchor=anchor)
    index.tables[("settings",)] = anchor
    index.add_mapping(settings, ("settings",))

    data = {"settings": plain(settings) if isinstance(settings, dict) else {}}
    notes = []
    if settings is not None and not isinstance(settings, dict):
        notes.append("bottlerocket.settings is not a mapping: eksctl rejects it; judged as if empty")
    _admin_container(group, br, data, index, notes)

    res = EksctlSettings(
        path=obj.path, format="bottlerocket", address=f"ClusterConfig/{cluster}/{list_key}/{name}",
        kind="BottlerocketSettings", data=data, index=index, notes=notes, nvidia=_nvidia(group),
        node_group=name, managed=list_key == "managedNodeGroups", kubernetes_node=True, anchor=anchor,
    )
    return res


def _admin_container(group: YMap, br: YMap | None, data: dict, index: YamlIndex, notes: list) -> None:
    """eksctl writes `settings.host-containers.admin.enabled` from enableAdminContainer, else from ssh.allow."""
    settings = data["settings"]
    hosts = settings.get("host-containers")
    admin = hosts.get("admin") if isinstance(hosts, dict) else None
    if isinstance(admin, dict) and "enabled" in admin:
        return  # the user's own setting wins
    value, pos, source = None, None, ""
    if br is not None and isinstance(br.get("enableAdminContainer"), bool):
        value, pos, source = br["enableAdminContainer"], br.at("enableAdminContainer"), "bottlerocket.enableAdminContainer"
    else:
        ssh = group.get("ssh")
        if isinstance(ssh, YMap) and isinstance(ssh.get("allow"), bool):
            value, pos, source = ssh["allow"], ssh.at("allow"), "ssh.allow (eksctl enables the admin container for SSH)"
    if value is None or not isinstance(hosts, (dict, type(None))) or not isinstance(admin, (dict, type(None))):
        return
    hosts = settings.setdefault("host-containers", {})
    admin = hosts.setdefault("admin", {})
    admin["enabled"] = value
    index.keys.setdefault(("settings", "host-containers", "admin", "enabled"), KeyInfo(pos, (True,), "enabled"))
    notes.append(f"settings.host-containers.admin.enabled = {str(value).lower()} written by eksctl from {source}")


def _nvidia(group: YMap) -> bool | None:
    """True when eksctl will pick the `-nvidia` variant: it resolves the AMI itself (no `ami:`, or `auto` /
    `auto-ssm`) and every instance type is a GPU type. A pinned `ami:` could be any variant: None (unknown,
    which BR014 counts as not NVIDIA)."""
    ami = group.get("ami")
    if ami is not None and not (isinstance(ami, str) and ami.strip() in _RESOLVER_KEYWORDS + ("",)):
        return None
    types = []
    if isinstance(group.get("instanceType"), str):
        types.append(group["instanceType"])
    for key in ("instanceTypes",):
        if isinstance(group.get(key), list):
            types.extend(t for t in group[key] if isinstance(t, str))
    dist = group.get("instancesDistribution")
    if isinstance(dist, dict) and isinstance(dist.get("instanceTypes"), list):
        types.extend(t for t in dist["instanceTypes"] if isinstance(t, str))
    if types and all(_NVIDIA_INSTANCE.match(t.strip()) for t in types):
        return True
    return None
