"""ARGO rules: ArgoCD apps that will fight a controller over a field, and ignoreDifferences that cannot work.

The model (`model/argocd.py`) knows what an app deploys that gets patched at run time and whether an
ignoreDifferences entry covers it; these templates only decide when that is a finding and word it.
"""
from __future__ import annotations

from ..model import argocd as m
from ..parse.yamldoc import YList, YMap
from . import template


def _spec_label(view: m.AppView) -> str:
    return "spec.template.spec" if view.label.startswith("ApplicationSet") else "spec"


@template("argocd-ignore-differences-missing")
def ignore_differences_missing(resource, ctx, rule):
    """ARGO001: a rendered field a controller replaces, deployed with no entry covering it."""
    for analysis in m.analyses(resource, ctx):
        if not analysis.view.patch_unknown:
            yield from _missing(analysis, resource, ctx, rule)


def _missing(analysis, resource, ctx, rule):
    view = analysis.view
    missing: dict[tuple, list[m.Patched]] = {}
    for patched in analysis.patched:
        if m.coverage(analysis, patched, ctx) != m.NO:
            continue
        key = (patched.group, patched.kind, patched.name, patched.namespace)
        if all(p.segments != patched.segments for p in missing.get(key, [])):
            missing.setdefault(key, []).append(patched)
    for (group, kind, name, _ns), items in missing.items():
        pointers = ", ".join(p.pointer for p in items)
        where = f" ({items[0].where})" if items[0].where else ""
        respect = "" if view.respects else " and `RespectIgnoreDifferences=true` to syncPolicy.syncOptions"
        note = m.managers_note([*view.entries, *m.system_settings(ctx).entries], items[0])
        yield rule.finding(
            resource, view.spec_pos,
            f"{view.label} deploys {kind} {name}{where}: {pointers} {'are' if len(items) > 1 else 'is'} "
            f"{items[0].why}; no ignoreDifferences entry covers {'them' if len(items) > 1 else 'it'}, so ArgoCD "
            f"reports drift and writes the rendered value back on every sync. "
            f"Add to {_spec_label(view)}.ignoreDifferences: {{{m.suggested_entry(items)}}}{respect}.{note}",
            snippet=f"{kind}/{name}{pointers}",
        )


@template("argocd-ignore-differences-not-respected")
def ignore_differences_not_respected(resource, ctx, rule):
    """ARGO002: an entry ignores a field the app renders, but sync still applies Git's value."""
    for analysis in m.analyses(resource, ctx):
        view = analysis.view
        if not view.entries or view.automated is not True or view.respects is not False or view.patch_unknown:
            continue
        hit = _rendered_ignored_path(analysis)
        if hit is not None:
            yield _not_respected(analysis, hit, resource, rule)
            break  # one finding per app: the fix (one sync option) is the same


def _not_respected(analysis, hit, resource, rule):
    view = analysis.view
    entry, kind, name, pointer, why, by_managers = hit
    which = f"{entry.kind}" + (f" {entry.name}" if entry.name else "")
    how = (f" (managedFieldsManagers {', '.join(entry.managers)}, which owns it at run time)"
           if by_managers else "")
    return rule.finding(
        resource, view.spec_pos,
        f"{view.label} syncs automatically and its ignoreDifferences entry for {which}{how} covers {pointer} of "
        f"{kind} {name}, which is {why}; syncOptions lacks `RespectIgnoreDifferences=true`, and ignoreDifferences "
        f"only hides the diff: every sync writes Git's value back over the live one. Add "
        f"`RespectIgnoreDifferences=true` to {_spec_label(view)}.syncPolicy.syncOptions (or stop rendering the field).",
        snippet=f"{kind}/{name}{pointer}",
    )


def _rendered_ignored_path(analysis: m.AppAnalysis):
    """(entry, kind, name, pointer, why, by_managers) of the first ignored path known to be rendered, else
    None. A managedFieldsManagers entry counts when it lists the manager that writes the path: it hides the
    diff the same way, and a sync without RespectIgnoreDifferences still applies Git's value (KNOWLEDGE 5.1)."""
    view = analysis.view
    for patched in analysis.patched:
        for entry in view.entries:
            if m.covers(entry, patched) == m.YES:
                why = patched.why + (f" ({patched.where})" if patched.where else "")
                by_managers = not any(m.path_covers(p, patched.segments) == m.YES for p in entry.paths)
                return entry, patched.kind, patched.name, patched.pointer, why, by_managers
    for _source, obj in analysis.linked:
        ns = obj.namespace or (view.dest_namespace or "?")
        for entry in view.entries:
            for path in entry.paths:
                if not path.exact:
                    continue
                probe = m.Patched(group=obj.group, kind=obj.kind, name=obj.name, namespace=ns,
                                  segments=path.segments, why="")
                if m.covers(entry, probe) == m.YES and m.value_at(obj.data, path.segments):
                    return entry, obj.kind, obj.name, probe.pointer, f"rendered in {obj.path}", False
    return None


# --- ARGO003 ------------------------------------------------------------------------------------------
@template("argocd-ignore-differences-ineffective")
def ignore_differences_ineffective(resource, ctx, rule):
    """ARGO003: ignoreDifferences entries that can match nothing."""
    if m.is_argocd(resource, "ApplicationSet"):
        spec = resource.data.get("spec")
        if isinstance(spec, YMap) and "ignoreDifferences" in spec:
            yield rule.finding(
                resource, spec.at("ignoreDifferences"),
                f"ApplicationSet {resource.name} has spec.ignoreDifferences, which is not an ApplicationSet field: "
                f"ArgoCD drops it. Move the entries to spec.template.spec.ignoreDifferences "
                f"(spec.ignoreApplicationDifferences is for fields of the generated Applications).",
                snippet="spec.ignoreDifferences",
            )
        view = m.app_view(resource)
        label = "spec.template.spec.ignoreDifferences"
    elif m.is_argocd(resource, "Application"):
        view = m.app_view(resource)
        label = "spec.ignoreDifferences"
    else:
        return
    if view is None:
        return
    entries = view.spec.get("ignoreDifferences")
    if not isinstance(entries, YList):
        return
    for i, item in enumerate(entries):
        if not isinstance(item, YMap):
            continue
        where = f"{label}[{i}]"
        yield from _entry_problems(resource, ctx, rule, item, where)


def _entry_problems(resource, ctx, rule, item: YMap, where: str):
    group_raw = item.get("group", "")
    group = "" if group_raw is None else str(group_raw)
    kind = item.get("kind")
    kind_ok = isinstance(kind, str) and not m.is_templated(kind) and not any(c in kind for c in "*?[")
    group_ok = not m.is_templated(group) and not any(c in group for c in "*?[")
    group_pos = item.at("group") if "group" in item else (item.at("kind") if "kind" in item else item.pos)
    if kind is None or kind == "":
        yield rule.finding(
            resource, item.pos,
            f"{where}: `kind` is required; ArgoCD matches the entry's kind with a glob, and an empty kind matches "
            f"no resource, so this entry ignores nothing. Add the resource's kind (or `kind: \"*\"`).",
            snippet=f"{where}.kind")
    if kind_ok and group_ok:
        spelled = _builtin_spelling(kind, group, ctx)
        problem = None if spelled else _group_problem(group, kind, ctx)
        if problem:
            yield rule.finding(resource, group_pos, f"{where} ({kind}): {problem}", snippet=f"{where}.group")
        elif spelled:
            also = _group_problem(group, spelled, ctx)
            yield rule.finding(
                resource, item.at("kind"),
                f"{where}: kind `{kind}` never matches: ArgoCD compares the kind exactly (case-sensitive, "
                f"singular), the kind is `{spelled}`." + (f" Also: {also}" if also else ""),
                snippet=f"{where}.kind")
        ns = item.get("namespace")
        if isinstance(ns, str) and ns and not m.is_templated(ns) and _cluster_scoped(kind, group, ctx):
            yield rule.finding(
                resource, item.at("namespace"),
                f"{where}: {kind} is cluster-scoped, so `namespace: {ns}` never matches (the live object has no "
                f"namespace) and the entry ignores nothing. Remove `namespace`.",
                snippet=f"{where}.namespace")
    pointers = item.get("jsonPointers")
    if isinstance(pointers, YList):
        for j, ptr in enumerate(pointers):
            if m.is_templated(ptr):
                continue
            problem = m.pointer_problem(ptr)
            if problem:
                yield rule.finding(resource, pointers.at(j), f"{where}.jsonPointers: `{ptr}` {problem}.",
                                   snippet=f"{where}.jsonPointers[{j}]")
    exprs = item.get("jqPathExpressions")
    if isinstance(exprs, YList):
        for j, expr in enumerate(exprs):
            if m.is_templated(expr):
                continue
            problem = m.jq_syntax_problem(expr)
            if problem:
                yield rule.finding(resource, exprs.at(j),
                                   f"{where}.jqPathExpressions: `{expr}` is not a valid jq path: it {problem}.",
                                   snippet=f"{where}.jqPathExpressions[{j}]")


def _builtin_spelling(kind: str, group: str, ctx) -> str | None:
    """The built-in kind this one misspells (other case, or its plural: `CustomResourceDefinitions`), when
    no CRD of the scan defines it; a plural only counts with a group that serves the singular kind (or no
    group for core kinds), so a custom kind that happens to end in `s` is never reported."""
    if kind in m.BUILTIN_GROUPS or kind in m.crd_groups(ctx):
        return None
    lowered = {k.lower(): k for k in m.BUILTIN_GROUPS}
    if kind.lower() in lowered:
        return lowered[kind.lower()]
    for suffix in ("es", "s"):
        if kind.lower().endswith(suffix):
            singular = lowered.get(kind.lower()[: -len(suffix)])
            if singular and group in m.BUILTIN_GROUPS[singular]:
                return singular
    return None


def _group_problem(group: str, kind: str, ctx) -> str | None:
    """Why this group can never match this kind, or None when it might (ArgoCD: glob on the API group)."""
    allowed = m.BUILTIN_GROUPS.get(kind)
    crd = m.crd_groups(ctx).get(kind, {})
    right = _right_group(kind, allowed, crd)
    if "/" in group:
        head = group.split("/", 1)[0]
        fix = "omit `group` (core API group)" if group.startswith("v1") or head == "" else f"use `group: {head}`"
        return (f"`group: {group}` includes an API version; ArgoCD compares the API group only, so this matches "
                f"nothing: {fix}.")
    if group in ("core", "v1"):
        return f"`group: {group}` is not an API group (the core group is the empty string): {right}."
    if group == "" and kind not in m.CORE_KINDS:
        return (f"{kind} is not in the core API group and an empty/omitted group only matches core kinds, so this "
                f"entry matches nothing: {right}.")
    if allowed is not None and group not in allowed and group not in crd and (
            group in m.BUILTIN_GROUP_NAMES or "." not in group):
        return f"{kind} is not served by API group `{group}`, so this entry matches nothing: {right}."
    return None


def _right_group(kind: str, allowed, crd: dict) -> str:
    groups = sorted(g for g in (allowed or set()) if g != "extensions") or sorted(crd)
    if not groups:
        return "set `group` to the resource's API group (apiVersion without the version)"
    if groups == [""]:
        return "omit `group`"
    return "use " + " or ".join(f"`group: {g}`" for g in groups if g) + ("" if "" not in groups else " (or omit it)")


def _cluster_scoped(kind: str, group: str, ctx) -> bool:
    if kind in m.CLUSTER_SCOPED and group == m.CLUSTER_SCOPED[kind]:
        return True
    scopes = m.crd_groups(ctx).get(kind, {})
    return scopes.get(group) == "Cluster"


# --- ARGO004 ------------------------------------------------------------------------------------------
@template("applicationset-templatepatch-without-gotemplate")
def templatepatch_without_gotemplate(resource, ctx, rule):
    """ARGO004: templatePatch is only applied with goTemplate: true."""
    if not m.is_argocd(resource, "ApplicationSet"):
        return
    spec = resource.data.get("spec")
    if not isinstance(spec, YMap) or "templatePatch" not in spec:
        return
    go = spec.get("goTemplate")
    if go is True or (isinstance(go, str) and go.strip().lower() == "true"):
        return
    shown = str(go).lower() if isinstance(go, bool) else go
    state = "is missing" if "goTemplate" not in spec else f"is `{shown}`"
    yield rule.finding(
        resource, spec.at("templatePatch"),
        f"ApplicationSet {resource.name} has spec.templatePatch but spec.goTemplate {state}: templatePatch only "
        f"works with Go templating, so its Go template actions are not rendered and the generated Applications do "
        f"not get what the patch sets. Set `goTemplate: true` (with `goTemplateOptions: [\"missingkey=error\"]`) "
        f"and rewrite `{{{{param}}}}` placeholders as `{{{{.param}}}}`.",
        snippet="spec.templatePatch",
    )

