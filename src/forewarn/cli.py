"""Command line: `forewarn [PATH ...]`, `forewarn rules`, `forewarn explain CODE`.

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or internal error.
"""
from __future__ import annotations

import argparse
import sys

from . import __version__

FORMATS = ("text", "concise", "json", "sarif")
FAIL_ON = ("error", "warning", "info", "never")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 already; keep the message short and on stderr
        self.print_usage(sys.stderr)
        print(f"forewarn: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.split(",") if c.strip()]


def scan_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="forewarn",
        description="Fail the pull request that would repeat a known production outage.",
        epilog="Other commands: `forewarn rules [--format json]`, `forewarn explain CODE`.",
    )
    p.add_argument("paths", nargs="*", default=None, metavar="PATH", help="files or directories (default .); - reads stdin")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    p.add_argument("--fail-on", choices=FAIL_ON, default="warning", help="lowest severity that fails (default warning)")
    p.add_argument("--select", type=_codes, action="extend", default=[], metavar="CODES",
                   help="only these code prefixes, comma-separated (e.g. BR,K8S001)")
    p.add_argument("--ignore", type=_codes, action="extend", default=[], metavar="CODES", help="skip these code prefixes")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB")
    p.add_argument("--rules", action="append", default=[], metavar="DIR", help="an extra rule pack directory")
    p.add_argument("--stdin-filename", metavar="NAME", help="name (and so format) of the text read from -")
    p.add_argument("--max-file-size", type=int, default=None, metavar="BYTES", help="larger files are E001 (default 10 MiB)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--no-color", action="store_true", help="no colour in text output (also NO_COLOR)")
    p.add_argument("--version", action="version", version=f"forewarn {__version__}")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "rules":
            return _cmd_rules(argv[1:])
        if argv and argv[0] == "explain":
            return _cmd_explain(argv[1:])
        return _cmd_scan(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR


def _load_catalog(rule_dirs):
    from .catalog import CatalogError, load_catalog

    try:
        return load_catalog(rule_dirs)
    except CatalogError as exc:
        print(f"forewarn: bad rule pack: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR) from None


def _cmd_scan(argv: list[str]) -> int:
    from .findings import Severity
    from .scan import ScanOptions, run_scan

    args = scan_parser().parse_args(argv)
    paths = args.paths or ["."]
    stdin_text = None
    if "-" in paths:
        stdin_text = sys.stdin.read()
    options = ScanOptions(
        paths=paths, select=args.select, ignore=args.ignore, exclude=args.exclude, rule_dirs=args.rules,
        stdin_text=stdin_text, stdin_filename=args.stdin_filename,
    )
    if args.max_file_size is not None:
        options.max_bytes = args.max_file_size
    catalog = _load_catalog(args.rules)
    unknown = [c for c in args.select + args.ignore if not any(code.startswith(c) for code in catalog.rules)]
    if unknown:
        print(f"forewarn: error: no rule code starts with {', '.join(unknown)}", file=sys.stderr)
        return EXIT_ERROR
    try:
        result = run_scan(options, catalog)
    except Exception as exc:  # noqa: BLE001 - an internal error is exit 2 with a message, never a traceback
        print(f"forewarn: internal error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if result.missing:
        for path in result.missing:
            print(f"forewarn: error: no such file or directory: {path}", file=sys.stderr)
        return EXIT_ERROR
    from .render import render

    text = render(args.format, result, color=_want_color(args))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if args.fail_on == "never":
        return EXIT_CLEAN
    threshold = Severity.parse(args.fail_on)
    failing = [f for f in result.findings if f.suppressed is None and f.severity >= threshold]
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def _want_color(args) -> bool:
    import os

    if args.no_color or os.environ.get("NO_COLOR") or args.output:
        return False
    return sys.stdout.isatty()


def _cmd_rules(argv: list[str]) -> int:
    p = _Parser(prog="forewarn rules", description="List the rule catalogue.")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--rules", action="append", default=[], metavar="DIR")
    args = p.parse_args(argv)
    catalog = _load_catalog(args.rules)
    rules = catalog.ordered()
    if args.format == "json":
        import json

        data = [
            {"code": r.code, "name": r.name, "severity": str(r.severity), "summary": r.summary,
             "enabled": r.enabled, "formats": r.formats, "template": r.template}
            for r in rules
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return EXIT_CLEAN
    width = max(len(r.name) for r in rules)
    for r in rules:
        off = "" if r.enabled else "  (off by default)"
        sys.stdout.write(f"{r.code:<8} {str(r.severity):<8} {r.name:<{width}}  {r.summary}{off}\n")
    return EXIT_CLEAN


def _cmd_explain(argv: list[str]) -> int:
    p = _Parser(prog="forewarn explain", description="Show a rule's documentation.")
    p.add_argument("code")
    p.add_argument("--rules", action="append", default=[], metavar="DIR")
    args = p.parse_args(argv)
    catalog = _load_catalog(args.rules)
    code = args.code.upper()
    if code not in catalog.rules:
        print(f"forewarn: error: unknown rule {args.code}", file=sys.stderr)
        return EXIT_ERROR
    from .render.docs import rule_markdown

    sys.stdout.write(rule_markdown(catalog.get(code)))
    return EXIT_CLEAN
