"""`.forewarn_cache/`: parsed files kept between runs, so the pre-commit hook's repo context costs little.

What is cached: the output of `load.load()` for one *load unit* — the files of one directory (a Terraform
module is a directory), widened to every other scanned file its loading opened (a `templatefile()` target
in `../templates` joins its module's unit, see scan.py). Rules are never cached: they run on every scan,
over the whole context, so a verdict never depends on the cache.

Validity (safe when stale): an entry records, for each member file and for each other file its loading
opened (templates, kustomizations), path + size + mtime + SHA-256 of the content. On every use each file is
stat()ed (a new size is a miss at once) and re-hashed: the entry is used only if every hash matches. Size
and mtime alone are never trusted: `cp -p`, `rsync -a`, `tar x`, `touch -r` and coarse-timestamp mounts
give an edited file its old mtime, and a same-size edit then looked unchanged (a stale Service selector
kept a finding alive). Hashing is cheap next to parsing (about 60 ms for 5,000 files, 24 MB), and a
`git checkout` that rewrites identical content still costs a hash, not a parse. A file that appeared or
vanished invalidates the entry. The namespace includes forewarn's version and a hash of its own source
code, the Python version, the working directory (findings name paths relative to it) and the size limit.

Format and trust: entries are pickles, because the parsed resources are graphs of the model's dataclasses
(positions, YAML maps, HCL values) that several modules define and evolve; a JSON codec for all of them
would be a second model to keep in sync. A pickle is code, so an entry is only unpickled when (1) its
HMAC-SHA256 verifies with a random 32-byte key kept outside the repository
(`$XDG_CACHE_HOME/forewarn/cache-key`, mode 0600) — a `.forewarn_cache/` committed to a repository, or
written by anyone else, fails the check and is ignored — and (2) every global it names is a class of
forewarn or of a small allow-list of standard data types. Any failure is a cache miss, never an error.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import pickle
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from . import __version__

CACHE_DIR_NAME = ".forewarn_cache"
FORMAT = "v1"
MAGIC = b"FWC1\n"
_DEBUG = bool(os.environ.get("FOREWARN_DEBUG_CACHE"))


def debug(message: str) -> None:
    if _DEBUG:
        print(f"forewarn cache: {message}", file=sys.stderr)


# ------------------------------------------------------------------------------------ file opening
_local = threading.local()  # per thread: the sets being recorded (nested blocks record into the innermost)
_hook_installed = False
_hook_lock = threading.Lock()
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | getattr(os, "O_CREAT", 0) | getattr(os, "O_APPEND", 0)
_IGNORED_SUFFIXES = (".py", ".pyc", ".so", ".pyd", ".pth", ".dylib")


def _audit(event, args):  # called for every audit event of the process: keep it cheap, never raise
    if event != "open":
        return
    recording = getattr(_local, "stack", None)
    if not recording:
        return
    try:
        path, mode, flags = args
        if path is None or isinstance(path, int):
            return
        if mode is not None:
            if any(c in mode for c in "wax+"):
                return
        elif isinstance(flags, int) and flags & _WRITE_FLAGS:
            return
        name = os.fsdecode(path)
        if name.endswith(_IGNORED_SUFFIXES):
            return
        recording[-1].add(os.path.abspath(name))
    except Exception:  # noqa: BLE001 - an audit hook must not break the program
        return


@contextmanager
def track_opens():
    """The set of files this thread opens for reading inside the block (seen through Python audit events)."""
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True
    opened: set = set()
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(opened)
    try:
        yield opened
    finally:
        stack.pop()


# ------------------------------------------------------------------------------------ fingerprints
def sha256_file(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest() if hasattr(hashlib, "file_digest") \
                else hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def file_record(path: str) -> list | None:
    """[size, mtime_ns, sha256] of a file, None when it does not exist (an absent dependency)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    digest = sha256_file(path)
    if digest is None:
        return None
    return [st.st_size, st.st_mtime_ns, digest]


_CODE_FP: str | None = None


def code_fingerprint() -> str:
    """forewarn's version + a hash of its own source: a changed loader never reads an old entry."""
    global _CODE_FP
    if _CODE_FP is None:
        h = hashlib.sha256(f"{__version__}|{sys.version_info[:3]}|{pickle.HIGHEST_PROTOCOL}".encode())
        package = Path(__file__).resolve().parent
        for path in sorted(package.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            h.update(path.relative_to(package).as_posix().encode())
            try:
                h.update(path.read_bytes())
            except OSError:
                pass
        _CODE_FP = h.hexdigest()[:16]
    return _CODE_FP


# ------------------------------------------------------------------------------------ trust
def _key_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "forewarn" / "cache-key"


_KEY: bytes | None = None


def secret_key() -> bytes | None:
    """This user's HMAC key (created on first use, 0600), None when it cannot be had: no cache then."""
    global _KEY
    if _KEY is not None:
        return _KEY
    path = _key_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                import secrets

                fh.write(secrets.token_bytes(32))
        st = os.stat(path)
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o077):
            debug(f"ignoring {path}: not owned by this user or readable by others")
            return None
        key = path.read_bytes()
        if len(key) < 32:
            return None
        _KEY = key
        return key
    except OSError as exc:
        debug(f"no key ({exc}): cache off")
        return None


_SAFE_BUILTINS = {"set", "frozenset", "complex", "bytearray", "slice", "range", "object", "int", "float",
                  "str", "bytes", "dict", "list", "tuple", "bool"}
_SAFE_MODULES = ("forewarn", "datetime", "collections", "decimal", "fractions", "pathlib", "lark", "tomlkit")


class _RestrictedUnpickler(pickle.Unpickler):
    """Second line of defence behind the HMAC: only classes of forewarn and of plain data modules."""

    def find_class(self, module, name):
        if module == "builtins" and name in _SAFE_BUILTINS:
            return super().find_class(module, name)
        if module == "copyreg" and name == "_reconstructor":
            return super().find_class(module, name)
        root = module.split(".", 1)[0]
        if root in _SAFE_MODULES:
            obj = super().find_class(module, name)
            if isinstance(obj, type):
                return obj
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a forewarn cache entry")


def _restricted_loads(data: bytes):
    return _RestrictedUnpickler(io.BytesIO(data)).load()


# ------------------------------------------------------------------------------------ the store
class CacheStore:
    """Entries of one namespace (forewarn code, Python, working directory, size limit) under `root`."""

    def __init__(self, root: Path, salt: str):
        self.root = Path(root)
        self.key = secret_key()
        self.namespace = f"{FORMAT}-{code_fingerprint()}"
        self.salt = salt
        self.dir = self.root / self.namespace
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0
        self.enabled = self.key is not None

    # --- layout ----------------------------------------------------------------------------------
    def _prepare(self) -> bool:
        if getattr(self, "_prepared", False):
            return True
        try:
            if not self.root.exists():
                self.root.mkdir(parents=True)
                (self.root / ".gitignore").write_text("# created by forewarn: never commit this cache\n*\n")
                (self.root / "CACHEDIR.TAG").write_text(
                    "Signature: 8a477f597d28d172789f06886806bc55\n# forewarn cache: safe to delete\n")
            (self.dir / "units").mkdir(parents=True, exist_ok=True)
            for old in self.root.glob(f"{FORMAT}-*"):
                if old.name != self.namespace and old.is_dir():
                    _remove_tree(old)
            self._prepared = True
            return True
        except OSError as exc:
            debug(f"cannot create {self.dir}: {exc}")
            self.enabled = False
            return False

    def _entry_path(self, unit_id: str) -> Path:
        digest = hashlib.sha256(f"{self.salt}\x1f{unit_id}".encode()).hexdigest()[:40]
        return self.dir / "units" / f"{digest}.bin"

    # --- groups: which directories were loaded together last time (templatefile() across dirs) ----
    def load_groups(self) -> list[list[str]]:
        if not self.enabled:
            return []
        try:
            data = json.loads((self.dir / "groups.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        groups = data.get(self.salt) if isinstance(data, dict) else None
        if not isinstance(groups, list):
            return []
        return [[str(d) for d in g] for g in groups if isinstance(g, list) and all(isinstance(d, str) for d in g)]

    def save_groups(self, groups: list[list[str]]) -> None:
        if not self.enabled or not self._prepare():
            return
        path = self.dir / "groups.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        data[self.salt] = sorted(sorted(g) for g in groups)
        _atomic_write(path, json.dumps(data).encode())

    # --- entries ---------------------------------------------------------------------------------
    def get(self, unit_id: str, members: list[str]):
        """The cached payload for this unit, or None (missing, stale, forged, unreadable)."""
        if not self.enabled:
            return None
        path = self._entry_path(unit_id)
        self.used.add(path.name)
        try:
            blob = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        parsed = self._open(blob)
        if parsed is None:
            debug(f"{unit_id}: entry rejected (bad magic or HMAC)")
            self.misses += 1
            return None
        meta, payload_bytes = parsed
        if sorted(meta.get("files", {})) != sorted(members):
            debug(f"{unit_id}: member files changed")
            self.misses += 1
            return None
        for group in ("files", "deps"):
            for name, rec in meta.get(group, {}).items():
                if not _still_valid(name, rec):
                    debug(f"{unit_id}: {name} changed")
                    self.misses += 1
                    return None
        try:
            payload = _restricted_loads(payload_bytes)
        except Exception as exc:  # noqa: BLE001 - any unpickling problem is a miss
            debug(f"{unit_id}: cannot unpickle ({exc})")
            self.misses += 1
            return None
        self.hits += 1
        return payload

    def put(self, unit_id: str, files: dict, deps: dict, payload) -> None:
        if not self.enabled:
            return
        try:
            payload_bytes = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an unpicklable resource: this unit is simply not cached
            debug(f"{unit_id}: not cacheable ({type(exc).__name__}: {exc})")
            return
        self._write(unit_id, files, deps, payload_bytes)

    def _write(self, unit_id: str, files: dict, deps: dict, payload_bytes: bytes) -> None:
        if not self._prepare():
            return
        meta = json.dumps({"unit": unit_id, "files": files, "deps": deps, "written_ns": time.time_ns()}).encode()
        body = len(meta).to_bytes(8, "big") + meta + payload_bytes
        mac = hmac.new(self.key, body, hashlib.sha256).digest()
        path = self._entry_path(unit_id)
        self.used.add(path.name)
        _atomic_write(path, MAGIC + mac + body)

    def _open(self, blob: bytes):
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 40:
            return None
        mac = blob[len(MAGIC): len(MAGIC) + 32]
        body = blob[len(MAGIC) + 32:]
        if not hmac.compare_digest(mac, hmac.new(self.key, body, hashlib.sha256).digest()):
            return None
        size = int.from_bytes(body[:8], "big")
        try:
            meta = json.loads(body[8: 8 + size])
        except ValueError:
            return None
        return (meta, body[8 + size:]) if isinstance(meta, dict) else None

    def prune(self) -> None:
        """Drop entries no unit of this scan asked for (deleted directories)."""
        if not self.enabled:
            return
        for path in (self.dir / "units").glob("*.bin"):
            if path.name not in self.used:
                try:
                    path.unlink()
                except OSError:
                    pass


def _still_valid(name: str, rec) -> bool:
    """The file has the recorded content (size, then SHA-256); an absent file matches a recorded absence.

    The mtime is not trusted: tools that preserve it (`cp -p`, `rsync -a`, `touch -r`) made a same-size
    edit of a context file look unchanged, and the entry served the old parse."""
    try:
        st = os.stat(name)
    except OSError:
        return rec is None
    if rec is None or not isinstance(rec, list) or len(rec) != 3:
        return False
    size, _mtime, digest = rec
    if st.st_size != size:
        return False
    return sha256_file(name) == digest


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        debug(f"cannot write {path}: {exc}")
        try:
            tmp.unlink()
        except OSError:
            pass


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
