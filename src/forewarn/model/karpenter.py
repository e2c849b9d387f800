"""Karpenter `EC2NodeClass`: is it Bottlerocket, and what settings does its node really get.

Karpenter (KNOWLEDGE.md 1.6, 2.3; `pkg/providers/amifamily/bootstrap/bottlerocket.go`) parses `spec.userData`
as Bottlerocket TOML, then writes on top of it: `cluster-name`, `api-server`, `cluster-certificate` always,
`node-taints` from the NodePool, `max-pods`, `cluster-dns-ip`, and the reserved / eviction / image-GC /
CFS-quota values of `spec.kubelet` when set there. So each Bottlerocket EC2NodeClass becomes one
`BottlerocketSettings` resource: `data`/`index` from userData (positions shifted into the YAML file), and
`overlay` = what `spec.kubelet` writes (positions in the YAML file). A class without userData is judged on
`spec.kubelet` alone (RULES.md, general definitions).

`karpenter.k8s.aws/v1beta1` kept `kubelet` on the NodePool (`spec.template.spec.kubelet`): there the overlay
comes from each NodePool in the scan that references the class.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..findings import Position, source_lines
from ..parse.tomldoc import UNKNOWN, TomlIndex, parse_toml, render_template
from ..parse.yamldoc import ParseError, YMap
from .bottlerocket import BottlerocketSettings, OverlayValue
from .eksctl import YamlIndex
from .kubernetes import K8sObject, as_list, as_map

GROUP = "karpenter.k8s.aws"
# spec.kubelet field -> the Bottlerocket key Karpenter writes it to (bootstrap/bottlerocket.go)
KUBELET_TO_BOTTLEROCKET = {
    "evictionHard": "eviction-hard",
    "evictionSoft": "eviction-soft",
    "evictionSoftGracePeriod": "eviction-soft-grace-period",
    "evictionMaxPodGracePeriod": "eviction-max-pod-grace-period",
    "systemReserved": "system-reserved",
    "kubeReserved": "kube-reserved",
    "imageGCHighThresholdPercent": "image-gc-high-threshold-percent",
    "imageGCLowThresholdPercent": "image-gc-low-threshold-percent",
    "maxPods": "max-pods",
    "cpuCFSQuota": "cpu-cfs-quota-enforced",
    "clusterDNS": "cluster-dns-ip",
}
_SETTINGS_HEAD = re.compile(r"^\s*(\[\s*settings\b|settings\s*[.=])", re.M)


@dataclass
class KarpenterSettings(BottlerocketSettings):
    """Effective Bottlerocket settings of the nodes of one EC2NodeClass."""

    host: str = "karpenter"
    node_class: K8sObject | None = None
    # True when Karpenter merges userData and writes spec.kubelet over it (amiFamily Bottlerocket); False for
    # amiFamily Custom on a Bottlerocket AMI: userData is passed through untouched and nothing is overlaid.
    merged: bool = True
    node_pool: K8sObject | None = None  # v1beta1: the NodePool whose spec.template.spec.kubelet is the overlay
    kubelet: dict = field(default_factory=dict)  # the kubelet mapping the overlay came from (YMap)


# ------------------------------------------------------------------------------------------- detection
def is_ec2nodeclass(obj) -> bool:
    return getattr(obj, "kind", "") == "EC2NodeClass" and getattr(obj, "group", "") == GROUP


def aliases(obj) -> list[str]:
    return [
        t["alias"].strip() for t in as_list(obj.spec.get("amiSelectorTerms"))
        if isinstance(t, dict) and isinstance(t.get("alias"), str)
    ]


def ami_family(obj) -> str | None:
    """The family Karpenter uses: `spec.amiFamily` when written, else the alias's (`bottlerocket@latest`)."""
    family = obj.spec.get("amiFamily")
    if isinstance(family, str) and family.strip():
        return family.strip()
    for alias in aliases(obj):
        name = alias.split("@", 1)[0].lower()
        return {"bottlerocket": "Bottlerocket", "al2": "AL2", "al2023": "AL2023"}.get(name, name or None)
    return None


def is_bottlerocket(obj) -> bool:
    """Nodes run a Bottlerocket AMI: amiFamily Bottlerocket, or an alias `bottlerocket@...` (KNOWLEDGE.md 2.4)."""
    if not is_ec2nodeclass(obj):
        return False
    family = obj.spec.get("amiFamily")
    if isinstance(family, str) and family.strip().lower() == "bottlerocket":
        return True
    return any(a.lower().startswith("bottlerocket@") for a in aliases(obj))


def merges_user_data(obj) -> bool:
    """Karpenter's Bottlerocket bootstrap runs (merging userData), i.e. the effective family is Bottlerocket."""
    family = ami_family(obj)
    return is_bottlerocket(obj) and isinstance(family, str) and family.lower() == "bottlerocket"


def _nvidia(obj) -> bool | None:
    """Known NVIDIA only when an AMI selector names the NVIDIA variant (SSM path or AMI name)."""
    for term in as_list(obj.spec.get("amiSelectorTerms")):
        if not isinstance(term, dict):
            continue
        for key in ("ssmParameter", "name"):
            value = term.get(key)
            if isinstance(value, str) and "nvidia" in value.lower():
                return True
    return None


# ------------------------------------------------------------------------------------------- overlay
def go_duration(value) -> str | None:
    """A Kubernetes duration as Karpenter writes it (Go `time.Duration.String()`: `90s` -> `1m30s`)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in ("0", "+0", "-0"):
        return "0s"
    m = re.fullmatch(r"([+-]?)((?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)", text)
    if not m:
        return None
    units = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
    total = Decimal(0)
    try:
        for number, unit in re.findall(r"((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(ns|us|µs|μs|ms|s|m|h)", m.group(2)):
            total += Decimal(number) * units[unit]
    except InvalidOperation:  # pragma: no cover
        return None
    ns = int(total)
    if ns == 0:
        return "0s"
    sign = "-" if m.group(1) == "-" else ""
    return sign + _go_format(ns)


def _frac(value: int, digits: int) -> str:
    whole, rest = divmod(value, 10**digits)
    tail = str(rest).rjust(digits, "0").rstrip("0")
    return f"{whole}.{tail}" if tail else str(whole)


def _go_format(ns: int) -> str:
    if ns < 10**3:
        return f"{ns}ns"
    if ns < 10**6:
        return _frac(ns, 3) + "µs"
    if ns < 10**9:
        return _frac(ns, 6) + "ms"
    minutes, rest = divmod(ns, 60 * 10**9)
    out = _frac(rest, 9) + "s"
    if minutes:
        hours, minutes = divmod(minutes, 60)
        out = f"{minutes}m" + out
        if hours:
            out = f"{hours}h" + out
    return out


def kubelet_overlay(kubelet, path: str) -> dict:
    """Bottlerocket key -> OverlayValue for what Karpenter writes from a `kubelet` mapping.

    Values are what Karpenter writes: maps as plain dicts (with `items` = the absolute position of each
    entry, so a rule can point at one signal's line), grace periods as Go durations (`90s` -> `1m30s`),
    `clusterDNS` as its first address. `podsPerCore` without `maxPods` makes Karpenter compute `max-pods`
    from the instance type: the value is UNKNOWN here.
    """
    if not isinstance(kubelet, YMap):
        return {}
    out: dict = {}
    for field_name, key in KUBELET_TO_BOTTLEROCKET.items():
        if field_name not in kubelet or kubelet[field_name] is None:
            continue
        value = kubelet[field_name]
        items: dict = {}
        if isinstance(value, YMap):
            items = {str(k): value.key_pos.get(k, value.pos) for k in value}
            convert = (lambda v: go_duration(v) or v) if field_name == "evictionSoftGracePeriod" else (lambda v: v)
            value = {str(k): convert(v) for k, v in value.items()}
        elif field_name == "clusterDNS":
            if not isinstance(value, list) or not value:
                continue
            value = value[0]
        out[key] = OverlayValue(value, kubelet.at(field_name), path, items)
    if "max-pods" not in out and kubelet.get("podsPerCore") is not None:
        out["max-pods"] = OverlayValue(UNKNOWN, kubelet.at("podsPerCore"), path)
    return out


# ------------------------------------------------------------------------------------------- userData
@dataclass
class Embedding:
    """How userData text positions map into the YAML file."""

    line_offset: int
    column_offset: int
    exact: bool  # False: every position is mapped to the `userData:` key (quoted / folded / unknown layout)
    note: str = ""


def _block_lines(text_lines: list[str], start: int, indent: int) -> list[str]:
    """Content of a literal block scalar whose body starts at 0-based line `start`."""
    out = []
    for line in text_lines[start:]:
        stripped = line.rstrip("\r")
        if stripped.strip() == "":
            out.append("")
            continue
        if len(stripped) - len(stripped.lstrip(" ")) < indent:
            break
        out.append(stripped[indent:])
    return out


def user_data_embedding(obj: K8sObject, value: str, source: str | None) -> Embedding:
    """Where the userData text sits in the YAML file.

    A literal block scalar (`userData: |`) keeps lines: TOML line n is YAML line (indicator line + n), shifted
    right by the block's indentation. Quoted and folded scalars rewrite line breaks, so every position goes
    to the `userData:` key instead (noted). The file text is needed to tell them apart; it is verified
    against the parsed value, and without it (stdin) the layout is estimated from the key's indentation.
    """
    spec = obj.data.get("spec")
    key_pos = spec.at("userData") if isinstance(spec, YMap) else obj.data.pos
    val_pos = spec.val_pos.get("userData", key_pos) if isinstance(spec, YMap) else key_pos
    to_key = Embedding(key_pos.line - 1, key_pos.column - 1, False)
    lines = source_lines(source) if source is not None else None
    if lines is not None and 0 < val_pos.line <= len(lines):
        line = lines[val_pos.line - 1]
        indicator = line[val_pos.column - 1 : val_pos.column] if val_pos.column - 1 < len(line) else ""
        if indicator == ">":
            to_key.note = "spec.userData is a folded scalar (>): positions point at the userData key"
            return to_key
        if indicator in ('"', "'"):
            to_key.note = "spec.userData is a quoted string: positions point at the userData key"
            return to_key
        if indicator == "|":
            header = re.match(r"\|([1-9]?)[+-]?([1-9]?)", line[val_pos.column - 1 :])
            digit = header.group(1) or header.group(2) if header else ""
            body = lines[val_pos.line :]
            if digit:
                indent = (key_pos.column - 1) + int(digit)
            else:
                first = next((b for b in body if b.strip()), None)
                indent = len(first) - len(first.lstrip(" ")) if first is not None else 0
            if _matches(value, _block_lines(lines, val_pos.line, indent)):
                return Embedding(val_pos.line, indent, True)
        if indicator not in ("|", ">", '"', "'") and "\n" not in value:
            # a plain one-line scalar: the text sits right there
            return Embedding(val_pos.line - 1, val_pos.column - 1, True)
    # No usable file text (stdin) or it does not match: assume a literal block indented one step (2) deeper
    # than the key, the layout of nearly every manifest; say the columns are estimated.
    if "\n" in value.rstrip("\n") or value.endswith("\n"):
        emb = Embedding(val_pos.line, key_pos.column - 1 + 2, True)
        emb.note = "spec.userData layout could not be read from the file: columns are estimated"
        return emb
    to_key.note = "spec.userData layout could not be read from the file: positions point at the userData key"
    return to_key


def _matches(value: str, block: list[str]) -> bool:
    want = value.split("\n")
    if want and want[-1] == "":
        want = want[:-1]
    while block and block[-1] == "" and len(block) > len(want):
        block = block[:-1]
    return block[: len(want)] == want and len(want) > 0


def _collapse(index: TomlIndex) -> None:
    """Send every position to (1, 1): used when the userData layout cannot be mapped line by line."""
    for info in index.keys.values():
        info.position = Position(1, 1)
    for key in list(index.tables):
        index.tables[key] = Position(1, 1)


def _anchor(obj: K8sObject, kubelet) -> Position:
    """Where a finding about a missing setting points when there is no userData: spec.kubelet, else spec."""
    spec = obj.data.get("spec")
    if isinstance(spec, YMap):
        if "kubelet" in spec:
            return spec.at("kubelet")
        if "userData" in spec:
            return spec.at("userData")
    if "spec" in obj.data:
        return obj.data.at("spec")
    return obj.name_position()


# ------------------------------------------------------------------------------------------- derivation
@dataclass
class _Derived:
    resources: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # (path, Position, message) -> E001


def _read_source(path: str, cache: dict) -> str | None:
    if path not in cache:
        try:
            cache[path] = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError, ValueError):
            cache[path] = None
    return cache[path]


def _node_pools_by_class(objects) -> dict[str, list[K8sObject]]:
    """v1beta1 NodePools by the EC2NodeClass name they reference (their kubelet is the overlay)."""
    out: dict[str, list[K8sObject]] = {}
    for obj in objects:
        if getattr(obj, "kind", "") != "NodePool" or obj.api_version != "karpenter.sh/v1beta1":
            continue
        ref = as_map(as_map(as_map(obj.spec.get("template")).get("spec")).get("nodeClassRef"))
        name = ref.get("name")
        if isinstance(name, str) and ref.get("kind", "EC2NodeClass") == "EC2NodeClass":
            out.setdefault(name, []).append(obj)
    return out


def derive(objects, sources: dict | None = None) -> _Derived:
    """Resources and E001 problems. `sources` (display path -> text, the loader's `ScanInput.sources`)
    saves re-reading files and covers stdin; without it the file is read from disk."""
    out = _Derived()
    sources = dict(sources or {})
    pools = None
    for obj in objects:
        if not is_bottlerocket(obj):
            continue
        merged = merges_user_data(obj)
        user_data = obj.spec.get("userData")
        if isinstance(user_data, str) and not user_data.strip():
            user_data = None
        if user_data is not None and not isinstance(user_data, str):
            continue  # not a string: the API server rejects the object; nothing to judge
        if not merged and (user_data is None or not _SETTINGS_HEAD.search(user_data)):
            continue  # amiFamily Custom: only a TOML settings document of the user's own is judged
        # the kubelet mappings to overlay: spec.kubelet (v1), else each referencing v1beta1 NodePool's
        overlays: list[tuple[object, K8sObject | None]] = []
        if merged:
            if obj.api_version == f"{GROUP}/v1beta1":
                if pools is None:
                    pools = _node_pools_by_class(objects)
                for pool in pools.get(obj.name, []):
                    kubelet = as_map(as_map(pool.spec.get("template")).get("spec")).get("kubelet")
                    overlays.append((kubelet, pool))
            if not overlays:
                overlays.append((obj.spec.get("kubelet"), None))
        else:
            overlays.append((None, None))
        base = _base_document(obj, user_data, sources, out) if user_data is not None else None
        if user_data is not None and base is None:
            continue  # TOML error: reported as E001, nothing else judged
        for kubelet, pool in _distinct(overlays):
            out.resources.append(_resource(obj, base, kubelet, pool, merged))
    return out


def _distinct(overlays):
    seen, out = [], []
    for kubelet, pool in overlays:
        if any(kubelet == k for k in seen):
            continue
        seen.append(kubelet)
        out.append((kubelet, pool))
    return out


def _base_document(obj: K8sObject, text: str, sources: dict, out: _Derived):
    """(data, index, embedding, unknown placeholders, notes) of a userData, or None after a TOML error."""
    emb = user_data_embedding(obj, text, _read_source(obj.path, sources))
    rendered = render_template(text) if "${" in text or "%{" in text else None
    toml_text = rendered.text if rendered else text
    notes = [emb.note] if emb.note else []
    try:
        data, index = parse_toml(toml_text)
    except ParseError as exc:
        if "__forewarn_unknown__" in toml_text:
            return None  # built from a value Terraform cannot know here: not judged, never an error
        pos = exc.position if emb.exact else Position(1, 1)
        where = Position(pos.line + emb.line_offset, pos.column + emb.column_offset)
        out.problems.append((obj.path, where, f"{obj.address} spec.userData: {exc.message}; Karpenter refuses "
                                              "invalid Bottlerocket user data and launches no node"))
        return None
    if not emb.exact:
        _collapse(index)
    unknown = rendered.unknown if rendered else []
    if unknown:
        notes.append(f"{len(unknown)} ${{...}} placeholder(s) in spec.userData not substituted: values unknown")
    return data, index, emb, unknown, notes


def _resource(obj: K8sObject, base, kubelet, pool, merged: bool) -> KarpenterSettings:
    overlay_path = pool.path if pool is not None else obj.path
    overlay = kubelet_overlay(kubelet, overlay_path) if merged else {}
    address = f"BottlerocketSettings@{obj.address}" + (f"+{pool.address}" if pool is not None else "")
    res = KarpenterSettings(
        path=obj.path, format="bottlerocket", address=address, kind="BottlerocketSettings",
        nvidia=_nvidia(obj), overlay=overlay, node_class=obj, merged=merged, node_pool=pool,
        kubelet=kubelet if isinstance(kubelet, dict) else {}, kubernetes_node=True,
    )
    if base is None:  # no userData: judged on spec.kubelet alone; missing keys point at the anchor
        res.anchor = _anchor(obj, kubelet)
        res.index = YamlIndex(anchor=res.anchor)
        res.notes.append("no spec.userData: judged on the settings Karpenter writes from spec.kubelet")
    else:
        data, index, emb, unknown, notes = base
        res.data, res.index, res.unknown_placeholders = data, index, list(unknown)
        res.line_offset, res.column_offset = emb.line_offset, emb.column_offset
        res.notes.extend(notes)
        spec = obj.data.get("spec")
        if merged and isinstance(spec, YMap) and "kubelet" in spec:
            # userData without [settings.kubernetes]: a missing key belongs in spec.kubelet (anchor is relative)
            at = spec.at("kubelet")
            res.anchor = Position(at.line - res.line_offset, at.column - res.column_offset)
    if not merged:
        res.notes.append("amiFamily Custom: Karpenter passes userData through unmerged")
    if pool is not None:
        res.notes.append(f"kubelet settings from {pool.address} ({pool.path})")
    elif obj.api_version == f"{GROUP}/v1beta1" and merged:
        res.notes.append("v1beta1: kubelet settings live on NodePools; none in the scan references this class")
    return res


def derive_settings(objects, sources: dict | None = None) -> list[BottlerocketSettings]:
    """The loader's hook: one KarpenterSettings per Bottlerocket EC2NodeClass (per NodePool kubelet for v1beta1)."""
    return derive(objects, sources).resources


def derive_problems(objects, sources: dict | None = None) -> list[tuple[str, Position, str]]:
    """TOML syntax errors in Bottlerocket userData as (path, position, message): the loader makes them E001."""
    return derive(objects, sources).problems


def settings_by_class(ctx) -> dict[int, list[KarpenterSettings]]:
    """id(EC2NodeClass object) -> its KarpenterSettings resources, built once per scan."""

    def build(ctx):
        out: dict[int, list[KarpenterSettings]] = {}
        for res in ctx.resources:
            if isinstance(res, KarpenterSettings) and res.node_class is not None:
                out.setdefault(id(res.node_class), []).append(res)
        return out

    return ctx.cached("karpenter.settings_by_class", build)
