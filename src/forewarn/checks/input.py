"""Rules about the input itself, produced outside the engine; these templates exist so the rules bind like
any other (and so `forewarn rules` / `explain` / SARIF metadata list them).

- E001 parse-error: produced by the loaders (load.py).
- E002 suppression-without-reason, E003 suppression-unused, E004 suppression-expired: produced by the
  suppression pass (suppress.py), which runs after every rule.
"""
from __future__ import annotations

from . import template


@template("parse-error")
def parse_error(resource, ctx, rule):
    return ()


@template("suppression-check")
def suppression_check(resource, ctx, rule):
    return ()
