"""Check templates for webhooks."""
from __future__ import annotations

from . import template  # noqa: F401
