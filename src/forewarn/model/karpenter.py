"""Karpenter EC2NodeClass: Bottlerocket detection and the settings Karpenter writes (placeholder)."""
from __future__ import annotations


def derive_settings(objects):
    return []
