"""Check templates for Bottlerocket settings (rules BR001-BR015).

Every check reads the *effective* settings through `res.effective(key)` (the user's TOML overlaid with what
Karpenter writes from `EC2NodeClass.spec.kubelet`) and reports through `Setting.report`, which points at the
user's line or at the EC2NodeClass field that supplied the value. Values from unknown template
placeholders (`is_unknown`) are never judged. Facts (allow-list, signals, defaults) come from
`rules/knowledge/bottlerocket_settings.yaml` via `facts(ctx)`.
"""
from __future__ import annotations

import difflib
import re

from ..model.bottlerocket import BottlerocketSettings, Setting, facts
from ..parse.tomldoc import is_unknown
from ..units import is_bottlerocket_duration, parse_percent, parse_quantity, threshold_problem
from . import template

HARD, SOFT, GRACE = "eviction-hard", "eviction-soft", "eviction-soft-grace-period"
MAX_POD_GRACE = "eviction-max-pod-grace-period"
GC_HIGH, GC_LOW = "image-gc-high-threshold-percent", "image-gc-low-threshold-percent"


def _quote(key) -> str:
    return f'"{key}"'


def _known_map(setting: Setting | None) -> dict | None:
    """The setting's map when it is a real, fully known map; None when absent, unknown or not a map."""
    if setting is None or not isinstance(setting.value, dict):
        return None
    return setting.value


def _has_unknown_keys(mapping: dict) -> bool:
    return any(is_unknown(k) for k in mapping)


def _kubernetes_unknowable(res: BottlerocketSettings) -> bool:
    """`settings.kubernetes` built from a placeholder (a key or the whole table): absent keys may be there."""
    raw = res.settings.get("kubernetes")
    return is_unknown(raw) or _unknown_key_anywhere(res.data)


def _unknown_key_anywhere(node) -> bool:
    """Whole lines came from an unevaluated placeholder (`${bootstrap_extra_args}` on its own line)."""
    if isinstance(node, dict):
        return any(is_unknown(k) or _unknown_key_anywhere(v) for k, v in node.items())
    return False


# --------------------------------------------------------------------------------- BR001, BR007, BR013
@template("bottlerocket-required-setting")
def required_setting(res, ctx, rule):
    """A `settings.kubernetes` key the effective settings of a Kubernetes node should hold.

    params: `setting` (the Bottlerocket key), `message` (`{kubelet_defaults}` expands to the kubelet's
    compiled hard-eviction defaults). Documents that configure no Kubernetes node (ECS, a host-containers
    or kernel fragment with no `settings.kubernetes`) are not judged.
    """
    if not isinstance(res, BottlerocketSettings) or not res.is_kubernetes_node():
        return
    key = str(rule.params.get("setting") or "")
    if not key or res.effective(key) is not None or _kubernetes_unknowable(res):
        return
    defaults = ", ".join(f"{k}<{v}" for k, v in facts(ctx).default_hard.items())
    message = str(rule.params.get("message") or f"no `{key}` in the effective settings").replace(
        "{kubelet_defaults}", defaults
    )
    yield rule.finding(res, res.missing_position(), message, snippet=key)


# ------------------------------------------------------------------------------------------- BR002
@template("bottlerocket-eviction-hard-partial")
def eviction_hard_partial(res, ctx, rule):
    """`eviction-hard` set without every signal the kubelet defaults: the unlisted ones are disabled."""
    if not isinstance(res, BottlerocketSettings):
        return
    hard = res.effective(HARD)
    mapping = _known_map(hard)
    if not mapping or _has_unknown_keys(mapping):
        return  # absent (BR001), unknown, not a map (BR004) or empty (not rendered at all)
    known = facts(ctx)
    required = [str(s) for s in rule.params.get("required") or list(known.default_hard)]
    # literal, as RULES.md says: a misspelt signal (`nodefs.inodesfree`, BR004) leaves the real one missing
    missing = [s for s in required if s not in mapping]
    if not missing:
        return
    listed = ", ".join(f"`{s}`" for s in mapping) or "nothing"
    add = ", ".join(
        f'{_quote(s)} = "{known.default_hard[s]}"' if s in known.default_hard else _quote(s) for s in missing
    )
    source = "spec.kubelet.evictionHard" if hard.from_karpenter else "eviction-hard"
    message = (
        f"{source} lists {listed} but not {', '.join(f'`{s}`' for s in missing)}: once eviction-hard is set the "
        f"kubelet does not apply its defaults for unlisted signals, so those are disabled (Bottlerocket cannot "
        f"set mergeDefaultEvictionSettings). Add them, e.g. {add}"
    )
    yield hard.report(rule, res, message)


# ------------------------------------------------------------------------------------------- BR003
@template("bottlerocket-soft-without-grace")
def soft_without_grace(res, ctx, rule):
    """Each `eviction-soft` signal needs an `eviction-soft-grace-period` entry, else the kubelet won't start."""
    if not isinstance(res, BottlerocketSettings):
        return
    soft = res.effective(SOFT)
    soft_map = _known_map(soft)
    if not soft_map:
        return
    grace = res.effective(GRACE)
    if grace is not None and (grace.unknown or not isinstance(grace.value, dict) or _has_unknown_keys(grace.value)):
        return
    have = set(grace.value) if grace is not None else set()
    signals = facts(ctx).signals
    for signal in soft_map:
        if is_unknown(signal) or signal not in signals or signal in have:
            continue
        where = "spec.kubelet.evictionSoftGracePeriod" if soft.from_karpenter else f"[settings.kubernetes.{GRACE}]"
        message = (
            f"eviction-soft {_quote(signal)} has no grace period: the kubelet refuses to start (\"grace period "
            f"must be specified for the soft eviction threshold {signal}\"). Add {where} {_quote(signal)} = "
            f'"1m30s" (how long the signal may stay below the threshold before pods are evicted)'
        )
        yield soft.report(rule, res, message, at=soft.item_position(signal), snippet=f"{SOFT}.{signal}")


# ------------------------------------------------------------------------------------------- BR004
@template("bottlerocket-eviction-values")
def eviction_values(res, ctx, rule):
    """Eviction maps: six case-sensitive signal names, thresholds `N%` (0<=N<100) or a positive quantity,
    grace periods Bottlerocket durations (`1m30s`, units in the order h, m, s, ms)."""
    if not isinstance(res, BottlerocketSettings):
        return
    signals = facts(ctx).signals
    for key in (HARD, SOFT, GRACE):
        setting = res.effective(key)
        if setting is None or setting.unknown:
            continue
        if not isinstance(setting.value, dict):
            shown = setting.value if isinstance(setting.value, (str, int, float)) else type(setting.value).__name__
            yield setting.report(
                rule, res,
                f"{key} must be a table of signal = value (e.g. [settings.kubernetes.{key}] "
                f'"memory.available" = "{"1m30s" if key == GRACE else "500Mi"}"), not {shown!r}: '
                f"Bottlerocket rejects the settings",
            )
            continue
        for signal, value in setting.value.items():
            if is_unknown(signal):
                continue
            pos = setting.item_position(signal)
            if signal not in signals:
                hint = _nearest(str(signal), signals, case_insensitive=True)
                yield setting.report(
                    rule, res,
                    f"{_quote(signal)} in {key} is not an eviction signal Bottlerocket accepts (exactly, "
                    f"case-sensitive: {', '.join(signals)}): the settings are rejected"
                    + (f"; did you mean {_quote(hint)}?" if hint else ""),
                    at=pos, snippet=f"{key}.{signal}",
                )
                continue
            if is_unknown(value):
                continue
            if key == GRACE:
                if not is_bottlerocket_duration(value):
                    yield setting.report(
                        rule, res,
                        f"{key} {_quote(signal)} = {_show(value)} is not a Bottlerocket duration: write a string "
                        f'with units in the order h, m, s, ms, e.g. "1m30s" or "90s" (a bare number, "1m2h" '
                        f'or "us"/"ns" units are rejected)',
                        at=pos, snippet=f"{key}.{signal}",
                    )
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                continue  # a bare TOML number: whether the model takes it is not verified; do not guess
            problem = threshold_problem(value)
            if problem:
                yield setting.report(
                    rule, res,
                    f"{key} {_quote(signal)} = {_show(value)} {problem}: write a percentage 0% <= N < 100% "
                    f'(e.g. "10%") or a positive quantity (e.g. "500Mi"); the settings are rejected or the '
                    f"kubelet refuses to start",
                    at=pos, snippet=f"{key}.{signal}",
                )


def _show(value) -> str:
    return _quote(value) if isinstance(value, str) else repr(value)


# ------------------------------------------------------------------------------------------- BR005
@template("bottlerocket-soft-not-softer")
def soft_not_softer(res, ctx, rule):
    """Same signal in soft and hard, like units: the soft (available-below) threshold must be the larger,
    else the hard threshold is crossed first and the graceful soft eviction never acts."""
    if not isinstance(res, BottlerocketSettings):
        return
    soft, hard = res.effective(SOFT), res.effective(HARD)
    soft_map, hard_map = _known_map(soft), _known_map(hard)
    if not soft_map or not hard_map:
        return
    for signal, soft_value in soft_map.items():
        if signal not in hard_map or is_unknown(signal):
            continue
        hard_value = hard_map[signal]
        if is_unknown(soft_value) or is_unknown(hard_value):
            continue
        if threshold_problem(soft_value) or threshold_problem(hard_value):
            continue  # BR004 reports it
        sp, hp = parse_percent(soft_value), parse_percent(hard_value)
        if sp is not None and hp is not None:
            if sp == 0 or hp == 0:
                continue  # 0% disables the threshold in the kubelet
            if sp > hp:
                continue
            equal = sp == hp
        elif sp is None and hp is None:
            sq, hq = parse_quantity(soft_value), parse_quantity(hard_value)
            if sq is None or hq is None or sq > hq:
                continue
            equal = sq == hq  # the same amount in other units: `1Gi` equals `1024Mi`
        else:
            continue  # % vs bytes: cannot compare without the node's size
        same = "equals" if equal else "is below"
        message = (
            f"eviction-soft {_quote(signal)} = {_quote(soft_value)} {same} eviction-hard {_quote(signal)} = "
            f"{_quote(hard_value)}: evictions start when {signal} falls below the threshold, so the hard "
            f"threshold is reached first (or together) and the soft eviction with its grace period never "
            f"acts. Make the soft threshold larger than the hard one"
        )
        yield soft.report(rule, res, message, at=soft.item_position(signal), snippet=f"{SOFT}.{signal}")


# ------------------------------------------------------------------------------------------- BR006
@template("bottlerocket-soft-max-pod-grace")
def soft_max_pod_grace(res, ctx, rule):
    """`eviction-soft` set while `eviction-max-pod-grace-period` is absent or 0: soft-evicted pods get no
    time to shut down (grace = min(eviction-max-pod-grace-period, terminationGracePeriodSeconds))."""
    if not isinstance(res, BottlerocketSettings):
        return
    soft = res.effective(SOFT)
    soft_map = _known_map(soft)
    if not soft_map:
        return
    grace = res.effective(MAX_POD_GRACE)
    if grace is None:
        state = "is absent (the kubelet default is 0)"
    elif isinstance(grace.value, int) and not isinstance(grace.value, bool) and grace.value == 0:
        state = "is 0"
    else:
        return  # set (or unknown, or of a type BR rules do not judge)
    fix = "spec.kubelet.evictionMaxPodGracePeriod" if soft.from_karpenter else MAX_POD_GRACE
    message = (
        f"eviction-soft is set but {MAX_POD_GRACE} {state}: a pod evicted by a soft threshold gets "
        f"min({MAX_POD_GRACE}, terminationGracePeriodSeconds) = 0 seconds, i.e. it is killed without a "
        f"graceful shutdown. Set {fix} to the seconds your pods need (e.g. 60)"
    )
    yield soft.report(rule, res, message, snippet=SOFT)


# ------------------------------------------------------------------------------------------- BR008
@template("bottlerocket-image-gc-thresholds")
def image_gc_thresholds(res, ctx, rule):
    """Effective image GC thresholds: each an integer 0..100 and low < high, with the kubelet defaults
    (85/80) standing in for the unset one."""
    if not isinstance(res, BottlerocketSettings):
        return
    high, low = res.effective(GC_HIGH), res.effective(GC_LOW)
    if high is None and low is None:
        return
    defaults = facts(ctx).image_gc_defaults
    values: dict[str, int] = {}
    broken = False
    for key, setting in ((GC_HIGH, high), (GC_LOW, low)):
        if setting is None:
            default = rule.params.get("default_high" if key == GC_HIGH else "default_low") or defaults.get(key)
            values[key] = int(default) if isinstance(default, int) else (85 if key == GC_HIGH else 80)
            continue
        if setting.unknown:
            return
        number, problem = _integer_percent(setting.value)
        if problem:
            broken = True
            yield setting.report(
                rule, res,
                f"{key} = {_show(setting.value)} {problem}: Bottlerocket and the kubelet accept an integer "
                f"percent 0..100 (e.g. {85 if key == GC_HIGH else 80})",
            )
            continue
        values[key] = number
    if broken:
        return
    hv, lv = values[GC_HIGH], values[GC_LOW]
    if lv < hv:
        return
    if high is not None and low is not None:
        target, message = low, (
            f"{GC_LOW} = {lv} is not below {GC_HIGH} = {hv}: the kubelet requires low < high and refuses to "
            f"start. Lower {GC_LOW} (e.g. to {max(hv - 5, 0)})"
        )
    elif high is not None:
        target, message = high, (
            f"{GC_HIGH} = {hv} with {GC_LOW} unset: the low threshold stays at the kubelet default {lv}, which "
            f"is not below {hv}, so the kubelet refuses to start (low must be < high). Also set {GC_LOW} "
            f"below {hv} (e.g. {max(hv - 5, 0)})"
        )
    else:
        target, message = low, (
            f"{GC_LOW} = {lv} with {GC_HIGH} unset: the high threshold stays at the kubelet default {hv}, so "
            f"low is not below high and the kubelet refuses to start. Lower {GC_LOW} below {hv} or also set "
            f"{GC_HIGH} above {lv}"
        )
    yield target.report(rule, res, message)


def _integer_percent(value) -> tuple[int | None, str | None]:
    """(number, None) or (None, why it is no IntegerPercent). Numbers and numeric strings are accepted."""
    if isinstance(value, bool):
        return None, "is not a number"
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value):
        number = int(value)
    elif isinstance(value, float) or isinstance(value, str):
        return None, "is not an integer"
    else:
        return None, "is not a number"
    if not 0 <= number <= 100:
        return None, "is outside 0..100"
    return number, None


# ------------------------------------------------------------------------------------------- BR009
@template("bottlerocket-admin-container")
def admin_container(res, ctx, rule):
    """`settings.host-containers.admin.enabled = true`: a superpowered container, root on the host."""
    if not isinstance(res, BottlerocketSettings):
        return
    hosts = res.settings.get("host-containers")
    admin = hosts.get("admin") if isinstance(hosts, dict) else None
    if not isinstance(admin, dict) or admin.get("enabled") is not True:
        return
    if admin.get("superpowered") is False:
        power = ("superpowered = false withholds host root, but it still runs an SSH server on every node "
                 "built from this user data")
    else:
        power = ("it is superpowered (the AWS default for admin), i.e. root on the host: `sheltie` opens a "
                 "root shell, on every node built from this user data")
    message = (
        f"the admin host container is enabled at boot: {power}. Keep `enabled = false` in user data and "
        "enable it on the node that needs debugging through the control container (`enable-admin-container`) "
        "or the API, so turning it on does not replace nodes"
    )
    pos = res.at("host-containers", "admin", "enabled")
    yield rule.finding(res, pos, message, snippet="host-containers.admin.enabled")


# ------------------------------------------------------------------------------------------- BR010
_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")


def kebab(key: str) -> str:
    """`evictionHard` -> `eviction-hard`, `imageGCHighThresholdPercent` -> `image-gc-high-threshold-percent`,
    `max_pods` -> `max-pods`."""
    text = _CAMEL_2.sub(r"\1-\2", _CAMEL_1.sub(r"\1-\2", key))
    return re.sub(r"[-_\s]+", "-", text).strip("-").lower()


def suggest_key(key: str, allowed, aliases: dict) -> tuple[str | None, str]:
    """(nearest valid key, how it was found) for a key Bottlerocket does not know: "spelling" for a
    kubelet camelCase / snake_case / upper-case spelling or a known typo shape (KNOWLEDGE.md 1.8), "prefix"
    for a missing suffix (`image-gc-high-threshold`), "near" for a near-miss spelling (difflib)."""
    for candidate in (key, kebab(key)):
        if candidate in aliases and aliases[candidate] in allowed:
            return aliases[candidate], "spelling"
        if candidate in allowed and candidate != key:
            return candidate, "spelling"
    norm = kebab(key)
    longer = sorted(k for k in allowed if k.startswith(norm + "-"))
    if len(longer) == 1:
        return longer[0], "prefix"
    near = difflib.get_close_matches(norm, sorted(allowed), n=1, cutoff=0.8)
    return (near[0], "near") if near else (None, "")


def _style(key: str) -> str:
    if "_" in key:
        return f"`{key}` is snake_case; Bottlerocket settings are kebab-case"
    if re.search(r"[a-z][A-Z]", key) and "-" not in key:
        return f"`{key}` is the kubelet's camelCase spelling; Bottlerocket settings are kebab-case"
    return f"`{key}` is not a Bottlerocket kubernetes setting"


def _nearest(key: str, options, case_insensitive: bool = False) -> str | None:
    if case_insensitive:
        for option in options:
            if option.lower() == key.lower():
                return option
    near = difflib.get_close_matches(key, list(options), n=1, cutoff=0.75)
    return near[0] if near else None


@template("bottlerocket-unknown-setting")
def unknown_setting(res, ctx, rule):
    """Keys under `settings.kubernetes` outside the allow-list, with the nearest valid key; kubernetes keys
    placed directly under `[settings]`; a top-level `[kubernetes]` table."""
    if not isinstance(res, BottlerocketSettings):
        return
    known = facts(ctx)
    allowed = known.allowed
    if not allowed:
        return  # no allow-list loaded: judging would flag everything
    for key in res.kubernetes:
        if is_unknown(key) or key in allowed:
            continue
        value = res.kubernetes[key]
        if key in ("settings", "kubernetes") and isinstance(value, dict):
            nested = value.get("kubernetes") if key == "settings" else value
            inner = next((k for k in nested if isinstance(k, str)), None) if isinstance(nested, dict) else None
            message = (
                f"`{key}.…` written inside [settings.kubernetes] nests a second table "
                f"(settings.kubernetes.{key}...), which Bottlerocket rejects: write keys relative to the table"
                + (f", e.g. `{inner}`" if inner else "")
            )
            yield rule.finding(res, res.at("kubernetes", key), message, snippet=f"kubernetes.{key}")
            continue
        hint, _ = suggest_key(str(key), allowed, known.aliases)
        message = (
            f"{_style(str(key))}: the settings model rejects unknown keys, so the user data fails to apply "
            f"(Karpenter drops keys it does not know)"
            + (f"; did you mean `{hint}`?" if hint else "; check it against the Bottlerocket settings reference")
        )
        yield rule.finding(res, res.at("kubernetes", key), message, snippet=f"kubernetes.{key}")
    for key in res.settings:
        if is_unknown(key) or key in known.namespaces:
            continue
        hint, how = suggest_key(str(key), allowed, known.aliases)
        if key in allowed:
            hint, how = key, "spelling"
        if hint is None or how != "spelling":
            continue  # only keys that clearly are kubernetes settings
        message = (
            f"`{key}` sits directly under [settings]; it is a kubernetes setting and belongs under "
            f"[settings.kubernetes] as `{hint}` (as written it is an unknown top-level setting, so the user "
            f"data fails to apply)"
        )
        yield rule.finding(res, res.at(key), message, snippet=f"settings.{key}")
    if isinstance(res.data, dict) and isinstance(res.data.get("kubernetes"), dict):
        message = (
            "a top-level [kubernetes] table is not read as Bottlerocket settings: write it as "
            "[settings.kubernetes]"
        )
        yield rule.finding(res, res.index.at(("kubernetes",)), message, snippet="kubernetes")


# ------------------------------------------------------------------------------------------- BR011
@template("bottlerocket-unquoted-dotted-key")
def unquoted_dotted_key(res, ctx, rule):
    """An unquoted `memory.available = "10%"` in an eviction map, node-labels/taints or kernel.sysctl is a
    nested table in TOML (`memory` -> `available`), which Bottlerocket's model rejects."""
    if not isinstance(res, BottlerocketSettings):
        return
    for prefix in facts(ctx).quoted_key_maps:
        mapping = res.settings
        for part in prefix:
            mapping = mapping.get(part) if isinstance(mapping, dict) else None
        if not isinstance(mapping, dict):
            continue
        base = ("settings",) + prefix
        for key, value in mapping.items():
            if not isinstance(value, dict) or is_unknown(key):
                continue
            for parts in _nested_leaves(value, (key,)):
                path = base + parts
                info = res.index.keys.get(path)
                dotted = ".".join(str(p) for p in parts)
                if info is not None and len(info.quoted) >= len(parts):
                    pos = info.position  # the dotted key as written on its line
                    written = info.raw if not all(info.quoted[-len(parts):]) else dotted
                else:  # split in a table header: [settings.kubernetes.eviction-hard.memory]
                    pos = res.index.table(base + parts[:1]) or res.index.at(path)
                    written = dotted
                table = ".".join(prefix)
                inner = ".".join(str(p) for p in parts[1:])
                if _written_in_yaml(res):  # eksctl: the YAML map is rendered as the same nested table
                    message = (
                        f"`{parts[0]}` under bottlerocket.settings.{table} is a nested map holding `{inner}`: "
                        f"eksctl renders it as the TOML table `{parts[0]}`, not the key `{dotted}`, which "
                        f"Bottlerocket rejects. Write the signal as one key: {dotted}: ..."
                    )
                else:
                    message = (
                        f"`{written}` under settings.{table} is an unquoted dotted key: TOML reads it as a table "
                        f"`{parts[0]}` holding `{inner}`, which Bottlerocket rejects. "
                        f"Quote the whole key: {_quote(dotted)} = ..."
                    )
                yield rule.finding(res, pos, message, snippet=f"{table}.{dotted}")


def _written_in_yaml(res) -> bool:
    """Settings written as YAML (eksctl `bottlerocket.settings`), where the fix is YAML, not TOML."""
    from ..model.eksctl import EksctlSettings

    return isinstance(res, EksctlSettings)


def _nested_leaves(mapping: dict, prefix: tuple, depth: int = 0):
    if not mapping or depth > 8:
        yield prefix
        return
    for k, v in mapping.items():
        if isinstance(v, dict):
            yield from _nested_leaves(v, prefix + (k,), depth + 1)
        else:
            yield prefix + (k,)


# ------------------------------------------------------------------------------------------- BR012
@template("bottlerocket-minimum-integer")
def minimum_integer(res, ctx, rule):
    """An integer `settings.kubernetes` key below `params.minimum` (e.g. container-log-max-files < 2)."""
    if not isinstance(res, BottlerocketSettings):
        return
    key = str(rule.params.get("setting") or "")
    minimum = rule.params.get("minimum")
    setting = res.effective(key) if key else None
    if setting is None or not isinstance(minimum, int):
        return
    value = setting.value
    if isinstance(value, bool) or not isinstance(value, int) or value >= minimum:
        return
    message = str(rule.params.get("message") or "{key} = {value} is below {minimum}")
    for name, text in (("key", key), ("value", value), ("minimum", minimum)):
        message = message.replace("{" + name + "}", str(text))
    yield setting.report(rule, res, message)


# ------------------------------------------------------------------------------------------- BR014/015
def _lockdown(res: BottlerocketSettings):
    kernel = res.settings.get("kernel")
    if not isinstance(kernel, dict) or "lockdown" not in kernel:
        return None
    value = kernel["lockdown"]
    return None if is_unknown(value) else value


@template("bottlerocket-lockdown-weakened")
def lockdown_weakened(res, ctx, rule):
    """`lockdown = "none"` on a node not known to be NVIDIA or a `-dev` variant (those default to none)."""
    if not isinstance(res, BottlerocketSettings) or _lockdown(res) != "none":
        return
    variant = (res.variant or "").lower()
    if res.nvidia is True or "nvidia" in variant or variant.endswith("-dev") or "-dev-" in variant:
        return
    message = (
        'settings.kernel.lockdown = "none" turns off the kernel lockdown Bottlerocket enables by default '
        '("integrity"): root on the node, e.g. a privileged pod, can then modify the running kernel. Only '
        'NVIDIA and -dev variants default to "none"; if this is an NVIDIA node, forewarn could not tell. Use '
        '"integrity"'
    )
    yield rule.finding(res, res.at("kernel", "lockdown"), message, snippet="kernel.lockdown")


@template("bottlerocket-lockdown-invalid")
def lockdown_invalid(res, ctx, rule):
    """`settings.kernel.lockdown` must be exactly none, integrity or confidentiality."""
    if not isinstance(res, BottlerocketSettings):
        return
    value = _lockdown(res)
    allowed = facts(ctx).lockdown_values
    if value is None or not allowed or value in allowed:
        return
    hint = _nearest(str(value), allowed, case_insensitive=True) if isinstance(value, str) else None
    message = (
        f"settings.kernel.lockdown = {_show(value)} is not one of {', '.join(_quote(v) for v in allowed)} "
        f"(lowercase strings): Bottlerocket rejects the settings"
        + (f"; did you mean {_quote(hint)}?" if hint else "")
    )
    yield rule.finding(res, res.at("kernel", "lockdown"), message, snippet="kernel.lockdown")

