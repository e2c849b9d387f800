"""E001 is produced by the loaders (parse errors); this template exists so the rule binds like any other."""
from __future__ import annotations

from . import template


@template("parse-error")
def parse_error(resource, ctx, rule):
    return ()
