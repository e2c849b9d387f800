"""Typed views over parsed documents: what a rule asks about (a pod template, a webhook, a node's settings)."""
