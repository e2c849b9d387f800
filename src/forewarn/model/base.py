"""A resource: one thing a rule judges (a Kubernetes object, a Bottlerocket settings document, a Terraform module)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..findings import Position


@dataclass
class Resource:
    path: str  # display path of the file whose text holds this resource
    format: str  # "kubernetes" | "bottlerocket" | "terraform"
    address: str  # e.g. Deployment/shop/api, aws_launch_template.nodes, BottlerocketSettings@nodes.toml
    kind: str = ""
    # Embedded documents (TOML in a heredoc) report positions relative to their own text; these shift them
    # to the host file.
    line_offset: int = 0
    column_offset: int = 0
    notes: list[str] = field(default_factory=list)  # e.g. "rendered by templatefile() at main.tf:12"

    def locate(self, pos: Position) -> Position:
        col = pos.column + (self.column_offset if self.column_offset else 0)
        return Position(pos.line + self.line_offset, col)
