"""Check templates for Karpenter EC2NodeClasses."""
from __future__ import annotations

from . import template  # noqa: F401
