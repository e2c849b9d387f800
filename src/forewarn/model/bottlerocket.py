"""Bottlerocket settings documents, wherever they were found (a .toml file, a template, a heredoc...).

Rules judge the *effective* settings: what the user wrote, overlaid with what Karpenter writes from an
EC2NodeClass's `spec.kubelet` (KNOWLEDGE.md 1.6). Values that came from unknown template placeholders are
the UNKNOWN marker (`parse.tomldoc.is_unknown`): checks skip them instead of guessing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..findings import Position
from ..parse.tomldoc import TomlIndex, parse_toml, render_template
from .base import Resource


@dataclass
class BottlerocketSettings(Resource):
    data: dict = field(default_factory=dict)  # the whole document, top level holds "settings"
    index: TomlIndex = field(default_factory=TomlIndex)
    unknown_placeholders: list[str] = field(default_factory=list)
    # Facts about the node this document configures, when the host says (Terraform ami_type, SSM path...)
    nvidia: bool | None = None
    # Karpenter `spec.kubelet` overlay: Bottlerocket key -> (value, position in the host YAML)
    overlay: dict = field(default_factory=dict)

    @property
    def settings(self) -> dict:
        value = self.data.get("settings")
        return value if isinstance(value, dict) else {}

    @property
    def kubernetes(self) -> dict:
        value = self.settings.get("kubernetes")
        return value if isinstance(value, dict) else {}

    def at(self, *path) -> Position:
        """Position of settings.<path> (the key, else the nearest written table, else line 1)."""
        return self.index.at(("settings",) + tuple(path))


def from_toml_file(path: str, text: str, variables: dict | None = None) -> BottlerocketSettings:
    """A standalone .toml / .tpl file; `${...}` placeholders become UNKNOWN unless `variables` give them."""
    rendered = render_template(text, variables)
    data, index = parse_toml(rendered.text)
    res = BottlerocketSettings(
        path=path, format="bottlerocket", address=f"BottlerocketSettings@{path}", kind="BottlerocketSettings",
        data=data, index=index, unknown_placeholders=rendered.unknown,
    )
    if rendered.directives:
        res.notes.append(f"{rendered.directives} template directive(s) %{{...}} not evaluated")
    return res
