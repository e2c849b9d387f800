"""Check templates for workloads."""
from __future__ import annotations

from . import template  # noqa: F401
