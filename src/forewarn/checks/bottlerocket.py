"""Check templates for bottlerocket."""
from __future__ import annotations

from . import template  # noqa: F401
