"""A rule's documentation as Markdown: `forewarn explain`, docs/rules.md and SARIF help text share it."""
from __future__ import annotations


def rule_markdown(rule, heading: str = "#") -> str:
    docs = rule.docs
    out = [f"{heading} {rule.code} {rule.name} ({rule.severity})", "", rule.summary, ""]
    for key, title in (("what", "What it finds"), ("why", "Why it matters")):
        if docs.get(key):
            out += [f"{heading}# {title}", "", str(docs[key]).strip(), ""]
    for key, title in (("bad", "Bad"), ("good", "Good")):
        if docs.get(key):
            lang = _lang(docs.get("filename", ""))
            out += [f"{heading}# {title}", "", f"```{lang}", str(docs[key]).rstrip(), "```", ""]
    if docs.get("fix"):
        out += [f"{heading}# Fix", "", str(docs["fix"]).strip(), ""]
    if docs.get("references"):
        out += [f"{heading}# References", ""] + [f"- {r}" for r in docs["references"]] + [""]
    if not rule.enabled:
        out += [f"Off by default: enable with `--extend-select {rule.code}` (or `extend-select = [\"{rule.code}\"]` "
                "in the configuration); `--select` would run it alone.", ""]
    return "\n".join(out)


def _lang(filename: str) -> str:
    if filename.endswith(".tf"):
        return "hcl"
    if filename.endswith((".toml", ".tpl", ".tftpl")):
        return "toml"
    return "yaml"
