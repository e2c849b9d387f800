"""Terraform modules (one per directory). Placeholder until the HCL layer lands."""
from __future__ import annotations


def load_modules(files):
    return [], []
