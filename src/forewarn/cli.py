"""Command line.

  forewarn [PATH ...]            scan (default .); `-` reads stdin, named by --stdin-filename
  forewarn baseline [PATH ...]   write .forewarn-baseline.json: the findings a scan with --baseline hides
  forewarn config [PATH]         the effective configuration and where each value came from
  forewarn rules [--format json] the rule catalogue
  forewarn explain CODE          one rule's documentation

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage, configuration or internal error.

Reports: `--format FMT[:FILE]` may be repeated; every report but at most one (standard output) needs a file,
either as FMT:FILE or from `--output FILE` entries, one per `--format` that names no file, paired in order.
Each file takes one report: two reports to one file, or `FMT:` with no file name, stop with exit 2.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import __version__

FORMATS = ("text", "concise", "json", "sarif", "junit", "github")
FAIL_ON = ("error", "warning", "info", "never")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_BY_SUFFIX = {".sarif": "sarif", ".json": "json", ".xml": "junit"}


class UsageError(Exception):
    """A problem the user must fix before forewarn can run: exit 2 with this message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 already; keep the message short and on stderr
        self.print_usage(sys.stderr)
        print(f"forewarn: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.split(",") if c.strip()]


def _format_spec(value: str) -> str:
    fmt, sep, target = value.partition(":")
    if fmt not in FORMATS:
        raise argparse.ArgumentTypeError(f"invalid format {fmt!r} (choose from {', '.join(FORMATS)}; FORMAT:FILE writes a file)")
    if sep and not target.strip():  # `sarif:` once wrote to standard output, silently
        raise argparse.ArgumentTypeError(f"{value!r} names no file: write {fmt}:FILE, or {fmt} alone for standard output")
    return value


def _add_scan_arguments(p: argparse.ArgumentParser, reports: bool = True) -> None:
    p.add_argument("paths", nargs="*", default=None, metavar="PATH", help="files or directories (default .); - reads stdin")
    if reports:
        p.add_argument("--format", "-f", type=_format_spec, action="append", default=None, metavar="FORMAT[:FILE]",
                       help=f"report format: {', '.join(FORMATS)} (default text); repeat for several reports; "
                            "FORMAT:FILE writes that report to FILE")
        p.add_argument("--output", "-o", action="append", default=None, metavar="FILE",
                       help="write the report to FILE (one per --format without a file, paired in order; - is stdout)")
    p.add_argument("--fail-on", choices=FAIL_ON, default=None, help="lowest severity that fails (default warning)")
    p.add_argument("--select", type=_codes, action="extend", default=None, metavar="CODES",
                   help="only these code prefixes, comma-separated (e.g. BR,K8S001); replaces the config's select")
    p.add_argument("--extend-select", type=_codes, action="extend", default=[], metavar="CODES",
                   help="add rules to the selection (off-by-default rules by full code, e.g. K8S007)")
    p.add_argument("--ignore", type=_codes, action="extend", default=None, metavar="CODES",
                   help="skip these code prefixes; replaces the config's ignore")
    p.add_argument("--extend-ignore", type=_codes, action="extend", default=[], metavar="CODES",
                   help="skip these code prefixes too")
    p.add_argument("--exclude", action="append", default=None, metavar="GLOB", help="skip paths matching GLOB (replaces the config's)")
    p.add_argument("--extend-exclude", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB too")
    p.add_argument("--rules", action="append", default=[], metavar="DIR", help="an extra rule pack directory")
    p.add_argument("--stdin-filename", metavar="NAME", help="name (and so format and place) of the text read from -")
    p.add_argument("--max-file-size", type=int, default=None, metavar="BYTES", help="larger files are E001 (default 10 MiB)")
    ctx = p.add_mutually_exclusive_group()
    ctx.add_argument("--context", metavar="DIR",
                     help="build the cross-resource index from DIR (default: the git work tree around the paths)")
    ctx.add_argument("--no-context", action="store_true", help="judge the given paths alone")
    p.add_argument("--no-cache", action="store_true", help="do not read or write .forewarn_cache/")
    if reports:
        p.add_argument("--baseline", metavar="FILE", help="hide the findings listed in FILE (see `forewarn baseline`)")
        p.add_argument("--report-unused", action="store_true", default=None,
                       help="report suppressions that match no finding (E003)")
    cfg = p.add_mutually_exclusive_group()
    cfg.add_argument("--config", metavar="FILE", help="use this .forewarn.toml / pyproject.toml (default: found walking up)")
    cfg.add_argument("--isolated", action="store_true", help="ignore configuration files")
    if reports:
        p.add_argument("--no-color", action="store_true", help="no colour in text output (also NO_COLOR)")
        p.add_argument("--no-progress", action="store_true", help="never show a progress bar")


def scan_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="forewarn",
        description="Fail the pull request that would repeat a known production outage.",
        epilog="Other commands: `forewarn baseline [PATH]`, `forewarn config`, `forewarn rules [--format json]`, "
               "`forewarn explain CODE`.",
    )
    _add_scan_arguments(p)
    p.add_argument("--version", action="version", version=f"forewarn {__version__}")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _is_main_process():
        # A short-lived process that builds a large acyclic object graph: the cyclic collector would only
        # re-walk it, again and again (a third of a cached pre-commit run). Reference counting still frees.
        import gc

        gc.disable()
    for stream in (sys.stdout, sys.stderr):  # file names that are not UTF-8 print as the bytes they are
        if hasattr(stream, "reconfigure") and getattr(stream, "errors", "") == "strict":
            try:
                stream.reconfigure(errors="surrogateescape")
            except (ValueError, OSError):
                pass
    try:
        if argv and argv[0] == "rules":
            return _cmd_rules(argv[1:])
        if argv and argv[0] == "explain":
            return _cmd_explain(argv[1:])
        if argv and argv[0] == "baseline":
            return _cmd_baseline(argv[1:])
        if argv and argv[0] == "config":
            return _cmd_config(argv[1:])
        return _cmd_scan(argv)
    except UsageError as exc:
        print(f"forewarn: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - never a traceback with exit 1 (which means "findings")
        print(f"forewarn: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _is_main_process() -> bool:
    """True when forewarn owns the process (the console script, `python -m forewarn`), not a caller's main()."""
    import __main__

    path = Path(getattr(__main__, "__file__", "") or "")
    if path.name in ("forewarn", "forewarn.exe", "forewarn-script.py"):
        return True
    return path.name == "__main__.py" and path.parent.name == "forewarn"


def _load_catalog(rule_dirs, params=None):
    from .catalog import CatalogError, load_catalog

    try:
        return load_catalog(rule_dirs, params=params or None)
    except CatalogError as exc:
        raise UsageError(f"bad rule pack: {exc}") from None


# ------------------------------------------------------------------------------------------ settings
def _start_path(args) -> Path:
    paths = [p for p in (args.paths or ["."]) if p != "-"]
    if paths:
        return Path(paths[0])
    if args.stdin_filename:
        parent = Path(args.stdin_filename).parent
        return parent if parent.exists() else Path.cwd()
    return Path.cwd()


def _settings(args):
    """Defaults < config file < command line, each value with its origin."""
    from .config import ConfigError, find_config, from_file, read_config

    try:
        if args.isolated:
            cfg = None
        elif args.config:
            if not Path(args.config).is_file():
                raise UsageError(f"no such configuration file: {args.config}")
            cfg = read_config(Path(args.config))
        else:
            found = find_config(_start_path(args))
            cfg = read_config(found) if found else None
    except ConfigError as exc:
        raise UsageError(f"invalid configuration:\n{exc}") from None
    s = from_file(cfg)
    cli = "command line"
    if args.select is not None:
        s.set("select", args.select, f"{cli} (--select)")
    if args.extend_select:
        s.set("extend-select", s["extend-select"] + args.extend_select, _join(s.sources["extend-select"], "--extend-select"))
    if args.ignore is not None:
        s.set("ignore", args.ignore, f"{cli} (--ignore)")
    if args.extend_ignore:
        s.set("ignore", s["ignore"] + args.extend_ignore, _join(s.sources["ignore"], "--extend-ignore"))
    if args.exclude is not None:
        s.set("exclude", args.exclude, f"{cli} (--exclude)")
    if args.extend_exclude:
        s.set("exclude", s["exclude"] + args.extend_exclude, _join(s.sources["exclude"], "--extend-exclude"))
    if args.fail_on is not None:
        s.set("fail-on", args.fail_on, f"{cli} (--fail-on)")
    if args.rules:
        s.set("rule-dirs", s["rule-dirs"] + [str(Path(d).resolve()) for d in args.rules],
              _join(s.sources["rule-dirs"], "--rules"))
    if args.max_file_size is not None:
        s.set("max-file-size", args.max_file_size, f"{cli} (--max-file-size)")
    if args.context:
        s.set("context", str(Path(args.context).resolve()), f"{cli} (--context)")
    elif args.no_context:
        s.set("context", False, f"{cli} (--no-context)")
    if args.no_cache:
        s.set("cache", False, f"{cli} (--no-cache)")
    if getattr(args, "baseline", None):
        s.set("baseline", str(Path(args.baseline).resolve()), f"{cli} (--baseline)")
    if getattr(args, "report_unused", None):
        s.set("report-unused", True, f"{cli} (--report-unused)")
    if getattr(args, "format", None):
        s.set("format", list(args.format), f"{cli} (--format)")
    return s


def _join(previous: str, flag: str) -> str:
    return f"command line ({flag})" if previous == "default" else f"{previous} + command line ({flag})"


def _names_files(args) -> bool:
    """pre-commit and editors name files (or a stdin buffer after a file); CI and people name directories."""
    paths = args.paths or ["."]
    if "-" in paths and args.stdin_filename:
        return True
    return any(Path(p).is_file() for p in paths if p != "-")


def _context_root(settings, args) -> Path | None:
    """Where the cross-resource index comes from.

    Set (`--context DIR`, `context = "dir"`): that directory, for every scan. Default: when files are named,
    the git work tree around them — so the pre-commit hook, which names changed files, judges them as a scan
    of the repository root does; when directories are named, they are their own context.
    """
    from .scan import git_toplevel

    value = settings["context"]
    if value is False:
        return None
    if isinstance(value, str):
        root = Path(value)
        if not root.is_dir():
            raise UsageError(f"context directory not found: {value} ({settings.sources['context']})")
        return root.resolve()
    if _names_files(args):
        return git_toplevel(_start_path(args))
    return None


def _cache_dir(settings, args, context: Path | None) -> Path | None:
    from .scan import git_toplevel

    if not settings["cache"]:
        return None
    root = context or git_toplevel(_start_path(args))
    return root / ".forewarn_cache" if root is not None else None


def _options(args, settings, catalog, progress=None):
    from .scan import ScanOptions

    paths = args.paths or ["."]
    stdin_text = sys.stdin.read() if "-" in paths else None
    context = _context_root(settings, args)
    cache = _cache_dir(settings, args, context)
    cache_dir = str(cache) if cache else None
    return ScanOptions(
        paths=paths, select=settings["select"], ignore=settings["ignore"], extend_select=settings["extend-select"],
        exclude=settings["exclude"], rule_dirs=settings["rule-dirs"], max_bytes=settings["max-file-size"],
        stdin_text=stdin_text, stdin_filename=args.stdin_filename,
        context=str(context) if context else None, cache_dir=cache_dir,
        report_unused=bool(settings["report-unused"]), per_path_ignores=settings["per-path-ignores"],
        config_path=str(settings.config.path) if settings.config else None,
        baseline=settings["baseline"],
        argocd_repo_urls=settings["argocd-repo-urls"], params=settings["params"], progress=progress,
    )


def _prepare(args):
    from .config import ConfigError, check_against_catalog

    settings = _settings(args)
    catalog = _load_catalog(settings["rule-dirs"])
    try:
        check_against_catalog(settings, catalog)  # against the rules' own params, before overriding them
    except ConfigError as exc:
        raise UsageError(f"invalid configuration:\n{exc}") from None
    for code, params in settings["params"].items():
        catalog.get(code).params.update(params)
    unknown = [c for c in settings["select"] + settings["ignore"] + settings["extend-select"]
               if not any(code.startswith(c) for code in catalog.rules)]
    if unknown:
        raise UsageError(f"no rule code starts with {', '.join(unknown)}")
    return settings, catalog


def _run(options, catalog):
    from .baseline import BaselineError
    from .scan import run_scan

    try:
        result = run_scan(options, catalog)
    except BaselineError as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - an internal error is exit 2 with a message, never a traceback
        if os.environ.get("FOREWARN_TRACEBACK"):
            raise
        print(f"forewarn: internal error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR) from None
    if result.missing:
        for path in result.missing:
            print(f"forewarn: error: no such file or directory: {path}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)
    return result


# ------------------------------------------------------------------------------------------ reports
def _reports(args, settings) -> list[tuple[str, str]]:
    """[(format, destination)] where destination is '-' (stdout) or a path."""
    outputs = list(args.output or [])
    if any(not o.strip() for o in outputs):
        raise UsageError("--output names no file: give a file name, or - for standard output")
    specs = list(settings["format"])
    from_cli = bool(args.format)
    if outputs and not from_cli and settings.sources["format"] == "default" and len(outputs) == 1:
        inferred = _BY_SUFFIX.get(Path(outputs[0]).suffix.lower())
        if inferred:
            specs = [inferred]
    plain = [spec for spec in specs if not spec.partition(":")[2]]
    if outputs and len(outputs) != len(plain):
        raise UsageError(
            f"{len(outputs)} --output for {len(plain)} --format without a file ({', '.join(plain) or 'none'}): "
            "give one --output per such --format (- is standard output), or write --format FORMAT:FILE")
    plan: list[tuple[str, str]] = []
    for spec in specs:
        fmt, sep, dest = spec.partition(":")
        if sep and dest:
            plan.append((fmt, dest))
        else:
            plan.append((fmt, outputs.pop(0) if outputs else "-"))
    to_stdout = [fmt for fmt, dest in plan if dest == "-"]
    if len(to_stdout) > 1:
        raise UsageError(f"{len(to_stdout)} reports ({', '.join(to_stdout)}) would go to standard output; "
                         "give all but one a file (--format FMT:FILE or --output FILE)")
    same_file: dict[str, list[tuple[str, str]]] = {}
    for fmt, dest in plan:
        if dest != "-":
            same_file.setdefault(os.path.normcase(os.path.realpath(dest)), []).append((fmt, dest))
    for reports in same_file.values():
        if len(reports) > 1:
            raise UsageError(f"{len(reports)} reports ({', '.join(fmt for fmt, _ in reports)}) would be written to "
                             f"the same file {reports[0][1]}, each overwriting the one before: give each report "
                             "its own file")
    return plan


def _want_color(args, dest: str) -> bool:
    if dest != "-" or args.no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


class _LazyProgress:
    """A rich progress bar on stderr, shown only once a scan has run for a second (never in CI or pipes)."""

    DELAY = 1.0
    LABELS = {"reading": "reading files", "checking": "checking rules"}

    def __init__(self):
        self.started = time.monotonic()
        self.bar = None
        self.tasks: dict = {}

    @staticmethod
    def wanted(args) -> bool:
        if getattr(args, "no_progress", False) or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
            return False
        try:
            return sys.stderr.isatty()
        except (AttributeError, ValueError):
            return False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < self.DELAY:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(self.LABELS.get(stage, stage), total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _cmd_scan(argv: list[str]) -> int:
    from .findings import Severity
    from .render import render

    args = scan_parser().parse_args(argv)
    settings, catalog = _prepare(args)
    plan = _reports(args, settings)
    progress = _LazyProgress() if _LazyProgress.wanted(args) else None
    options = _options(args, settings, catalog, progress)
    try:
        result = _run(options, catalog)
    finally:
        if progress is not None:
            progress.close()
    result.fail_on = settings["fail-on"]
    for fmt, dest in plan:
        text = render(fmt, result, color=_want_color(args, dest))
        if dest == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
            continue
        try:
            with open(dest, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write the {fmt} report to {dest}: {exc.strerror}") from None
    if settings["fail-on"] == "never":
        return EXIT_CLEAN
    threshold = Severity.parse(settings["fail-on"])
    failing = [f for f in result.findings if f.suppressed is None and f.severity >= threshold]
    return EXIT_FINDINGS if failing else EXIT_CLEAN


# ------------------------------------------------------------------------------------------ commands
def _cmd_baseline(argv: list[str]) -> int:
    from .baseline import BASELINE_NAME, write_baseline

    p = _Parser(prog="forewarn baseline",
                description="Write the current findings to a baseline file; `forewarn --baseline FILE` then "
                            "hides them and fails only on new ones.")
    _add_scan_arguments(p, reports=False)
    p.add_argument("--output", "-o", metavar="FILE",
                   help=f"baseline file to write (default: the config's `baseline`, else ./{BASELINE_NAME})")
    args = p.parse_args(argv)
    args.baseline = None
    args.report_unused = None
    args.format = None
    settings, catalog = _prepare(args)
    target = Path(args.output) if args.output else Path(settings["baseline"] or BASELINE_NAME)
    options = _options(args, settings, catalog)
    options.baseline = None
    result = _run(options, catalog)
    try:
        count = write_baseline(result.findings, target, result.text_of)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    hint = "" if settings["baseline"] else f" (use it with --baseline {target} or `baseline = \"{target}\"` in the config)"
    print(f"forewarn: wrote {count} finding(s) to {target}{hint}", file=sys.stderr)
    return EXIT_CLEAN


def _cmd_config(argv: list[str]) -> int:
    from .config import render_settings

    p = _Parser(prog="forewarn config", description="Print the effective configuration and where each value comes from.")
    _add_scan_arguments(p)
    p.add_argument("--json", action="store_true", help="as JSON")
    args = p.parse_args(argv)
    settings, _catalog = _prepare(args)
    text = render_settings(settings, "json" if args.json else "text")
    if not args.json:
        root = _context_root(settings, args)
        cache = _cache_dir(settings, args, root)
        text += f"# context root: {root if root else '(none: the scanned paths are their own context)'}\n"
        text += f"# cache: {cache if cache else '(off)'}\n"
    sys.stdout.write(text)
    return EXIT_CLEAN


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
