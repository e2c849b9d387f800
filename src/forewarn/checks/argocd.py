"""Check templates for argocd."""
from __future__ import annotations

from . import template  # noqa: F401
