"""Bottlerocket settings documents, wherever they were found (a .toml file, a template, a heredoc...).

Rules judge the *effective* settings: what the user wrote, overlaid with what Karpenter writes from an
EC2NodeClass's `spec.kubelet` (KNOWLEDGE.md 1.6). Values that came from unknown template placeholders are
the UNKNOWN marker (`parse.tomldoc.is_unknown`): checks skip them instead of guessing.

The Karpenter overlay (`BottlerocketSettings.overlay`), filled by the Karpenter loader:

    overlay = {
        "eviction-hard": OverlayValue({"memory.available": "5%"}, Position(18, 5), "nodeclass.yaml",
                                      items={"memory.available": Position(19, 7)}),
        "system-reserved": OverlayValue({"cpu": "100m", "memory": "200Mi"}, Position(22, 5), "nodeclass.yaml"),
        "image-gc-high-threshold-percent": OverlayValue(85, Position(25, 5), "nodeclass.yaml"),
        ...
    }

- keys are Bottlerocket keys under `settings.kubernetes` (kebab-case): "eviction-hard", "eviction-soft",
  "eviction-soft-grace-period", "eviction-max-pod-grace-period", "system-reserved", "kube-reserved",
  "image-gc-high-threshold-percent", "image-gc-low-threshold-percent", "max-pods", "cpu-cfs-quota-enforced",
  "cluster-dns-ip", ...;
- `value` is the plain Python value Karpenter writes (maps as dicts keyed like Bottlerocket: signal names,
  `cpu`/`memory`/`ephemeral-storage`; integers or numeric strings for image GC percents);
- `position` is ABSOLUTE in `path` (the YAML file holding the EC2NodeClass): the `spec.kubelet` field;
- `items` (optional) gives absolute positions of map entries (e.g. each eviction signal).
An overlay key replaces the user's value for that key as a whole (Karpenter assigns the map, it does not
merge it). Findings about an overlay value are reported with `rule.finding(res, pos, msg, path=ov.path)`;
`Setting.report(rule, res, msg)` does that for every check.

Other facts a host can set on the resource (all optional):
- `nvidia`: True/False when the host knows (Terraform `ami_type`, SSM path); None = unknown (not NVIDIA).
- `variant`: the Bottlerocket variant when known (`aws-k8s-1.31-nvidia`, `aws-dev`): `-dev` variants and
  NVIDIA variants default to `lockdown = "none"`.
- `kubernetes_node`: True when the host says this document configures a Kubernetes node (EC2NodeClass, EKS
  node group, eksctl), False when it knows otherwise (ECS); None = decide from the document itself (it has a
  `settings.kubernetes` table, or a Karpenter overlay).
- `anchor`: where findings about a missing key point (relative to the resource) when the document has no
  `[settings.kubernetes]` table, e.g. an EC2NodeClass without userData; default: the document start.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..findings import Position
from ..parse.tomldoc import TomlIndex, is_unknown, parse_rendered, render_template
from .base import Resource

KUBERNETES = ("settings", "kubernetes")
EVICTION_MAPS = ("eviction-hard", "eviction-soft", "eviction-soft-grace-period")


@dataclass
class OverlayValue:
    """A value Karpenter writes into `settings.kubernetes` from `EC2NodeClass.spec.kubelet`."""

    value: object
    position: Position  # absolute, in `path`
    path: str  # the YAML file holding the EC2NodeClass
    items: dict = field(default_factory=dict)  # map entry -> absolute Position (optional)


@dataclass
class Setting:
    """One effective `settings.kubernetes` value and where a finding about it points.

    `path` is None for the user's own document (positions relative to the resource, shifted by
    `resource.locate`), else the file of a Karpenter overlay (positions absolute there).
    """

    key: str
    value: object
    position: Position
    path: str | None = None
    items: dict = field(default_factory=dict)  # map entry -> Position (same frame as `position`)

    @property
    def from_karpenter(self) -> bool:
        return self.path is not None

    @property
    def unknown(self) -> bool:
        return is_unknown(self.value)

    def item_position(self, item) -> Position:
        return self.items.get(item, self.position)

    def report(self, rule, res, message: str, at: Position | None = None, snippet: str = ""):
        """A finding of `rule` at this setting (or at `at`, a position in the same frame)."""
        pos = at or self.position
        snippet = snippet or self.key
        if self.path:
            return rule.finding(res, pos, message, snippet=snippet, path=self.path)
        return rule.finding(res, pos, message, snippet=snippet)


@dataclass
class BottlerocketSettings(Resource):
    data: dict = field(default_factory=dict)  # the whole document, top level holds "settings"
    index: TomlIndex = field(default_factory=TomlIndex)
    unknown_placeholders: list[str] = field(default_factory=list)
    # Facts about the node this document configures, when the host says (Terraform ami_type, SSM path...)
    nvidia: bool | None = None
    # Karpenter `spec.kubelet` overlay: Bottlerocket key -> OverlayValue (see the module docstring)
    overlay: dict = field(default_factory=dict)
    variant: str | None = None  # e.g. "aws-k8s-1.31-nvidia", "aws-dev" when the host knows it
    kubernetes_node: bool | None = None  # True/False when the host knows; None = decide from the document
    anchor: Position | None = None  # where missing-key findings point when there is no [settings.kubernetes]

    @property
    def settings(self) -> dict:
        value = self.data.get("settings") if isinstance(self.data, dict) else None
        return value if isinstance(value, dict) else {}

    @property
    def kubernetes(self) -> dict:
        value = self.settings.get("kubernetes")
        return value if isinstance(value, dict) else {}

    def at(self, *path) -> Position:
        """Position of settings.<path> (the key, else the nearest written table, else line 1)."""
        return self.index.at(("settings",) + tuple(path))

    # ------------------------------------------------------------------------------ effective settings
    def effective(self, key: str) -> Setting | None:
        """`settings.kubernetes.<key>` as the kubelet gets it: Karpenter's value if it writes one, else the
        user's; None when neither sets it. Eviction maps written with unquoted dotted keys (a nested table,
        rule BR011) are flattened back to `"memory.available"` so the other rules judge what was meant."""
        ov = self.overlay.get(key) if isinstance(self.overlay, dict) else None
        if ov is not None:
            value, pos, path = _overlay_parts(ov)
            items = dict(getattr(ov, "items", None) or {})
            if not items and isinstance(value, dict) and isinstance(getattr(value, "key_pos", None), dict):
                items = dict(value.key_pos)  # a YMap kept as written: one position per signal
            return Setting(key, value, pos, path, items)
        kube = self.kubernetes
        if key not in kube:
            return None
        value = kube[key]
        base = KUBERNETES + (key,)
        items: dict = {}
        if isinstance(value, dict) and key in EVICTION_MAPS:
            flat: dict = {}
            for parts, leaf in _leaves(value):
                name = ".".join(str(p) for p in parts)
                flat[name] = leaf
                items[name] = self.index.at(base + parts)
            value = flat
        elif isinstance(value, dict):
            items = {k: self.index.at(base + (k,)) for k in value}
        return Setting(key, value, self.index.at(base), None, items)

    def is_kubernetes_node(self) -> bool:
        """Whether these settings configure a Kubernetes node (and node-protection rules apply).

        A document with no `settings.kubernetes` at all (only `[settings.host-containers]`, `[settings.ecs]`,
        a kernel fragment) is not judged as a Kubernetes node unless its host says so.
        """
        if self.kubernetes_node is not None:
            return bool(self.kubernetes_node)
        if "kubernetes" in self.settings or self.overlay:
            return True
        # hosts that only ever configure Kubernetes nodes, even with no kubernetes table of their own
        # (a Karpenter EC2NodeClass, an eksctl node group); they may also set `kubernetes_node=True`
        return getattr(self, "node_class", None) is not None or getattr(self, "host", None) == "eksctl"

    def missing_position(self) -> Position:
        """Where a finding about a missing `settings.kubernetes` key points: the `[settings.kubernetes]`
        table, else the host's anchor, else the document start."""
        pos = self.index.table(KUBERNETES)
        if pos is None and "kubernetes" in self.settings:
            pos = self.index.key(KUBERNETES)
        return pos or self.anchor or getattr(self.index, "anchor", None) or Position(1, 1)


def effective(res: BottlerocketSettings, key: str) -> Setting | None:
    """Module-level spelling of `res.effective(key)` (checks read one place)."""
    return res.effective(key)


def _overlay_parts(ov) -> tuple[object, Position, str | None]:
    """OverlayValue, or a plain `(value, position[, path])` tuple from an older caller."""
    if isinstance(ov, OverlayValue):
        return ov.value, ov.position, ov.path
    if isinstance(ov, tuple) and len(ov) >= 2:
        pos = ov[1] if isinstance(ov[1], Position) else Position(1, 1)
        return ov[0], pos, (ov[2] if len(ov) > 2 else None)
    return getattr(ov, "value", ov), getattr(ov, "position", Position(1, 1)), getattr(ov, "path", None)


def _leaves(mapping: dict, prefix: tuple = ()):
    """(key parts, value) for every non-table value below `mapping` (depth-bounded)."""
    for k, v in mapping.items():
        parts = prefix + (k,)
        if isinstance(v, dict) and v and len(parts) < 8:
            yield from _leaves(v, parts)
        else:
            yield parts, v


def from_toml_file(path: str, text: str, variables: dict | None = None) -> BottlerocketSettings:
    """A standalone .toml / .tpl file; `${...}` placeholders become UNKNOWN unless `variables` give them."""
    rendered = render_template(text, variables)
    data, index = parse_rendered(rendered)
    res = BottlerocketSettings(
        path=path, format="bottlerocket", address=f"BottlerocketSettings@{path}", kind="BottlerocketSettings",
        data=data, index=index, unknown_placeholders=rendered.unknown,
    )
    if rendered.directives:
        res.notes.append(f"{rendered.directives} template directive(s) %{{...}} not evaluated")
    return res


# ------------------------------------------------------------------------------------------------ knowledge
@dataclass
class SettingsFacts:
    """rules/knowledge/bottlerocket_settings.yaml as sets, built once per scan (`facts(ctx)`)."""

    kubernetes_keys: frozenset
    newer_keys: frozenset
    aliases: dict
    signals: tuple
    default_hard: dict
    image_gc_defaults: dict
    lockdown_values: tuple
    quoted_key_maps: tuple
    namespaces: frozenset

    @property
    def allowed(self) -> frozenset:
        return self.kubernetes_keys | self.newer_keys


def facts(ctx) -> SettingsFacts:
    """The Bottlerocket facts of this scan's rule pack (falls back to the built-in knowledge file)."""
    return ctx.cached("bottlerocket_settings_facts", _build_facts)


def _build_facts(ctx) -> SettingsFacts:
    data = (getattr(ctx, "knowledge", None) or {}).get("bottlerocket_settings")
    if not isinstance(data, dict):
        data = _builtin_knowledge()

    def strings(key) -> list[str]:
        value = data.get(key) or []
        return [str(v) for v in value] if isinstance(value, list) else []

    def mapping(key) -> dict:
        value = data.get(key) or {}
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}

    maps = data.get("quoted_key_maps") or []
    return SettingsFacts(
        kubernetes_keys=frozenset(strings("kubernetes_keys")),
        newer_keys=frozenset(strings("newer_kubernetes_keys")),
        aliases={k: str(v) for k, v in mapping("aliases").items()},
        signals=tuple(strings("eviction_signals")),
        default_hard={k: str(v) for k, v in mapping("kubelet_default_eviction_hard").items()},
        image_gc_defaults=mapping("kubelet_image_gc_defaults"),
        lockdown_values=tuple(strings("lockdown_values")),
        quoted_key_maps=tuple(tuple(str(p) for p in m) for m in maps if isinstance(m, list)),
        namespaces=frozenset(strings("settings_namespaces")),
    )


def _builtin_knowledge() -> dict:
    from ..catalog import builtin_rules_dir
    from ..parse.yamldoc import load_stream

    path = builtin_rules_dir() / "knowledge" / "bottlerocket_settings.yaml"
    try:
        docs = load_stream(path.read_text(encoding="utf-8"))
    except OSError:  # pragma: no cover - a broken installation
        return {}
    return docs[0].data if docs and isinstance(docs[0].data, dict) else {}
