"""Check templates for terraform."""
from __future__ import annotations

from . import template  # noqa: F401
