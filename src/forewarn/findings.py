"""The one value every part of forewarn passes around: a finding at an exact position."""
from __future__ import annotations

import re

from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple


class Severity(IntEnum):
    """Ordered so that `--fail-on warning` means "severity >= WARNING"."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        return cls[text.upper()]

    def __str__(self) -> str:  # "warning", as users write it
        return self.name.lower()


class Position(NamedTuple):
    """1-based line and column of the offending text in the file a user opens.

    A NamedTuple, not a dataclass: the YAML loader makes one per node (about a million for a large
    scan), and tuple construction is several times cheaper.
    """

    line: int
    column: int = 1



@dataclass
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int = 1
    resource: str = ""
    # A short value that identifies the offending text independently of its line (baselines hash it).
    snippet: str = ""
    suppressed: str | None = None  # the reason, when a suppression applies
    notes: list[str] = field(default_factory=list)

    @property
    def sort_key(self):
        return (self.path, self.line, self.column, self.code, self.message)

    def as_dict(self) -> dict:
        data = {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "resource": self.resource,
        }
        if self.notes:
            data["notes"] = list(self.notes)
        if self.suppressed is not None:
            data["suppressed"] = self.suppressed
        return data


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(text: str) -> list[str]:
    """The lines of a file as editors, git and SARIF viewers number them: split at LF, CRLF and CR only
    (str.splitlines also splits at U+2028, NEL, form feed..., which would shift every later line)."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines
