"""Read the discovered files into resources; anything unreadable becomes finding E001, never a crash."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .discover import Candidate, is_helm_template_source
from .findings import Position, source_lines
from .model.base import Resource
from .parse.yamldoc import ParseError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_GO_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)
_K8S_HEAD = re.compile(r"^apiVersion\s*:", re.M)
_K8S_KIND = re.compile(r"^kind\s*:", re.M)
_SETTINGS_HEAD = re.compile(r"^\s*(\[\s*settings\b|settings\s*[.=])", re.M)


@dataclass
class ParseProblem:
    path: str
    position: Position
    message: str


@dataclass
class ScanInput:
    resources: list[Resource] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)  # become E001
    helm_sources: list[str] = field(default_factory=list)  # skipped: render with `helm template`
    partial_objects: list[str] = field(default_factory=list)  # kustomize patches: never judged whole
    files_read: int = 0
    sources: dict[str, str] = field(default_factory=dict)  # display path -> text (code frames, suppressions)


def _decode(data: bytes, display: str, out: ScanInput) -> str | None:
    if b"\x00" in data[:8192]:
        out.problems.append(ParseProblem(display, Position(1, 1), "binary content in a claimed file"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        out.problems.append(ParseProblem(display, Position(line, col), f"not UTF-8: byte 0x{data[exc.start]:02x}"))
        return None


def kustomize_patch_files(candidates: list[Candidate]) -> set[Path]:
    """Files a scanned kustomization lists as patches (partial objects)."""
    from .parse.yamldoc import load_stream

    patches: set[Path] = set()
    for cand in candidates:
        if cand.path is None or cand.path.name not in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            continue
        try:
            docs = load_stream(cand.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ParseError):
            continue
        for doc in docs:
            if not isinstance(doc.data, dict):
                continue
            for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
                for item in doc.data.get(key) or []:
                    rel = item.get("path") if isinstance(item, dict) else item
                    if isinstance(rel, str) and "\n" not in rel:
                        patches.add((cand.path.parent / rel).resolve())
    return patches


def load(candidates: list[Candidate], max_bytes: int = DEFAULT_MAX_BYTES) -> ScanInput:
    from .model import bottlerocket, kubernetes_load, terraform

    out = ScanInput()
    patches = kustomize_patch_files(candidates)
    terraform_files: list[tuple[Candidate, str]] = []
    for cand in candidates:
        if cand.text is not None:
            text = cand.text
            if len(text.encode("utf-8", "replace")) > max_bytes:
                out.problems.append(ParseProblem(cand.display, Position(1, 1), f"file larger than {max_bytes} bytes"))
                continue
        else:
            try:
                size = cand.path.stat().st_size
                if size > max_bytes:
                    out.problems.append(
                        ParseProblem(cand.display, Position(1, 1), f"file of {size} bytes is over the {max_bytes}-byte limit")
                    )
                    continue
                if cand.format == "yaml" and is_helm_template_source(cand.path):
                    out.helm_sources.append(cand.display)
                    continue
                data = cand.path.read_bytes()
            except OSError as exc:
                out.problems.append(ParseProblem(cand.display, Position(1, 1), f"cannot read: {exc.strerror}"))
                continue
            text = _decode(data, cand.display, out)
            if text is None:
                continue
        out.files_read += 1
        if not text.strip():
            continue
        if cand.format == "terraform":
            terraform_files.append((cand, text))
            out.sources[cand.display] = text
            continue
        if cand.format == "yaml":
            partial = cand.path is not None and cand.path.resolve() in patches
            _load_yaml(cand, text, out, partial, kubernetes_load)
        elif cand.format == "toml":
            if not _SETTINGS_HEAD.search(text):
                continue  # pyproject.toml, Cargo.toml, ...: not a Bottlerocket document
            try:
                out.resources.append(bottlerocket.from_toml_file(cand.display, text))
                out.sources[cand.display] = text
            except ParseError as exc:
                out.problems.append(ParseProblem(cand.display, exc.position, exc.message))
                out.sources[cand.display] = text
    from .model import eksctl, karpenter

    k8s = [r for r in out.resources if r.format == "kubernetes"]
    derived = karpenter.derive(k8s, out.sources)
    out.resources.extend(derived.resources)
    out.problems.extend(ParseProblem(*p) for p in derived.problems)
    out.resources.extend(eksctl.derive_settings(k8s))
    if terraform_files:
        resources, problems = terraform.load_modules(terraform_files)
        # A template that a templatefile() call renders is judged with the call's arguments, not ALSO
        # standalone with unknown placeholders (RULES.md "Templates").
        rendered = terraform.rendered_templates(resources)
        if rendered:
            def standalone(path: str) -> bool:
                return os.path.realpath(path) in rendered

            out.resources = [
                r for r in out.resources
                if not (r.format == "bottlerocket" and r.address == f"BottlerocketSettings@{r.path}"
                        and not isinstance(r, terraform.EmbeddedSettings) and standalone(r.path))
                and not (r.format == "kubernetes" and standalone(r.path))  # a manifest template's raw text
            ]
            out.problems = [p for p in out.problems if not (p.path.endswith((".tpl", ".tftpl", ".toml", ".yaml", ".yml"))
                                                            and standalone(p.path))]
            for res in resources:
                if isinstance(res, terraform.EmbeddedSettings) and res.template_file:
                    out.sources.setdefault(res.path, res.template_text)
        hosts = terraform.file_host_facts(resources)
        if hosts:  # a TOML file that node groups read with file(): judged as itself, with what they say
            for r in out.resources:
                facts = hosts.get(os.path.realpath(r.path)) if r.format == "bottlerocket" else None
                if facts is not None and not isinstance(r, terraform.EmbeddedSettings):
                    if r.nvidia is None:
                        r.nvidia = facts[0]
                    if r.kubernetes_node is None:
                        r.kubernetes_node = facts[1]
        out.resources.extend(resources)
        out.problems.extend(ParseProblem(p[0], p[1], p[2]) for p in problems)
        # Kubernetes objects Terraform declares (kubectl_manifest, kubernetes_manifest): Karpenter classes
        # among them carry Bottlerocket settings too
        embedded = [r for r in resources if r.format == "kubernetes"]
        if embedded:
            derived = karpenter.derive(embedded, out.sources)
            out.resources.extend(derived.resources)
            out.problems.extend(ParseProblem(*p) for p in derived.problems)
    return out


def _terraform_template_at(text: str, line: int) -> bool:
    """The YAML error is at (or just after) a Terraform template placeholder or directive."""
    lines = source_lines(text)
    near = lines[max(0, line - 2): line]
    return any("${" in s or "%{" in s for s in near)


def _load_yaml(cand: Candidate, text: str, out: ScanInput, partial: bool, kubernetes_load) -> None:
    from .parse.yamldoc import load_stream

    looks_k8s = bool(_K8S_HEAD.search(text) and _K8S_KIND.search(text))
    try:
        docs = load_stream(text)
    except ParseError as exc:
        if "{{" in text and _GO_TEMPLATE.search(text):
            out.helm_sources.append(cand.display)
            return
        if _terraform_template_at(text, exc.position.line):
            return  # a Terraform template (`${...}`, `%{ for }`): not YAML until templatefile() renders it
        if looks_k8s:  # other YAML (values files, CI workflows) is not claimed: skipped silently
            out.problems.append(ParseProblem(cand.display, exc.position, exc.message))
            out.sources[cand.display] = text
        return
    objects = kubernetes_load.objects_from_docs(cand.display, docs)
    if not objects:
        return
    if partial:
        out.partial_objects.append(cand.display)
        return
    out.sources[cand.display] = text
    out.resources.extend(objects)
