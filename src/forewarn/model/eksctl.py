"""eksctl ClusterConfig node groups with Bottlerocket settings as YAML (placeholder)."""
from __future__ import annotations


def derive_settings(objects):
    return []
