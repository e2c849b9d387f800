"""Value parsing done once and right: Kubernetes quantities, percentages, Bottlerocket durations, `sleep N`.

Every parser returns None for text it does not accept, so a check can tell "invalid" from "a value".
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

# Kubernetes resource.Quantity: <signedNumber><suffix>, suffix binary (Ki..Ei), decimal SI (n u m k M G T P E)
# or a decimal exponent (e3, E-2). apimachinery/pkg/api/resource/quantity.go
_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal("1e3"),
    "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"), "P": Decimal("1e15"), "E": Decimal("1e18"),
}


def parse_quantity(value) -> Decimal | None:
    """`100m` -> 0.1, `1.5Gi` -> 1610612736, `1e3` -> 1000, 2 -> 2. None when not a quantity.

    Strict like apimachinery's ParseQuantity: no surrounding spaces, case-sensitive suffixes (`12ki`,
    `100Kiii`, `10K` are rejected), finite numbers only.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            number = Decimal(str(value))
        except InvalidOperation:  # pragma: no cover
            return None
        return number if number.is_finite() else None
    if not isinstance(value, str):
        return None
    m = _QUANTITY.fullmatch(value)
    if not m:
        return None
    try:
        number = Decimal(m.group(1))
    except InvalidOperation:  # pragma: no cover - the regex admits only decimal numbers
        return None
    suffix = m.group(2) or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    try:
        return number * (Decimal(10) ** int(suffix[1:]))
    except (InvalidOperation, ValueError, OverflowError):  # pragma: no cover - absurd exponents
        return None


_PERCENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%")


def parse_percent(value) -> float | None:
    """`"10%"` -> 10.0; None when the text is not exactly a number followed by % (no spaces, no `inf`),
    the form both the kubelet (Go ParseFloat) and Bottlerocket (Rust f32) read."""
    if not isinstance(value, str) or not _PERCENT.fullmatch(value):
        return None
    try:
        number = float(value[:-1])
    except ValueError:  # pragma: no cover - the regex admits only numbers
        return None
    return number if math.isfinite(number) else None


# Bottlerocket's own quantity regex (KUBERNETES_QUANTITY, modeled-types kubernetes.rs): laxer than the
# kubelet's in places (`100K`, `1.2.3` pass), so a threshold must satisfy both.
_BR_QUANTITY = re.compile(
    r"^([+-]?[0-9.]+)((e)?[0-9]*)$|^([+-]?[0-9.]+)((E|P|T|G|M|K)i?)?$|^([+-]?[0-9.]+)(n|u|m|k)?$"
)


def is_bottlerocket_quantity(value) -> bool:
    """Whether Bottlerocket's settings model accepts `value` as a KubernetesQuantityValue."""
    return isinstance(value, str) and bool(_BR_QUANTITY.fullmatch(value))


def threshold_problem(value) -> str | None:
    """Why an eviction threshold (`"10%"`, `"500Mi"`) is refused, or None when Bottlerocket and the kubelet
    both accept it (KNOWLEDGE.md 1.3): `N%` needs 0 <= N < 100; a quantity must match Bottlerocket's regex,
    parse as a Kubernetes quantity and be positive."""
    if not isinstance(value, str):
        return "is not a string"
    if value.endswith("%"):
        pct = parse_percent(value)
        if pct is None:
            return "is not a number followed by %"
        if not 0 <= pct < 100:
            return "is outside Bottlerocket's accepted range 0% <= N < 100%"
        return None
    if not is_bottlerocket_quantity(value):
        return "is neither a percentage nor a Kubernetes quantity"
    quantity = parse_quantity(value)
    if quantity is None:
        return "is not a Kubernetes quantity the kubelet can parse"
    if quantity <= 0:
        return "is not positive (the kubelet requires a quantity threshold > 0)"
    return None


# Bottlerocket KubernetesDurationValue (KNOWLEDGE.md 1.3): units in the order h, m, s, ms; no bare numbers.
_BR_DURATION = re.compile(r"(([0-9]+\.)?[0-9]+h)?(([0-9]+\.)?[0-9]+m)?(([0-9]+\.)?[0-9]+s)?(([0-9]+\.)?[0-9]+ms)?")


def is_bottlerocket_duration(value) -> bool:
    """`1m30s`, `30s`, `1.5h`, `500ms` -> True; `90`, `1m2h`, `5us`, `` -> False. Whole-string match (a
    trailing newline is not accepted, unlike Python's `$`)."""
    return isinstance(value, str) and value != "" and bool(_BR_DURATION.fullmatch(value))


# --- exec `sleep` ---------------------------------------------------------------------------------------
# GNU coreutils and BusyBox `sleep NUMBER[SUFFIX]...`: a number (decimal, optional exponent; `inf`/`infinity`
# sleep forever) with one optional suffix s, m, h or d; several arguments are summed. Anything else (`1m30s`,
# `$DELAY`, `-1`) makes sleep exit at once with "invalid time interval": no sleep happens.
_SLEEP_ARG = re.compile(r"[ \t\n]*\+?(?:((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)|((?i:inf(?:inity)?)))([smhd]?)")
_SLEEP_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SHELLS = {"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "yash"}
_SHELL_KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "{", "!", "time"}
_PASS_THROUGH = {"exec", "command", "nohup", "builtin"}  # run the rest of the words as the command
# Programs that run another command given later in their arguments (after options or a user name).
_LAUNCHERS = {"dumb-init", "tini", "tini-static", "catatonit", "gosu", "su-exec", "setsid", "nice", "ionice",
              "stdbuf", "chpst", "s6-setuidgid", "runuser", "sudo", "doas"}
_COMMANDS = {"sleep", "env", "busybox", *_SHELLS}
_MAX_DEPTH = 4  # sh -c "bash -c '...'" nesting; deeper is not followed


def sleep_duration(args) -> float | None:
    """Seconds `sleep ARGS...` waits: `["40"]` -> 40, `["1m"]` -> 60, `["1m", "30s"]` -> 90, `["0.5m"]` -> 30,
    `["infinity"]` -> inf. None when sleep would refuse an argument (and exit at once) or gets none."""
    if not args:
        return None
    total = Decimal(0)
    for arg in args:
        m = _SLEEP_ARG.fullmatch(arg) if isinstance(arg, str) else None
        if not m:
            return None
        if m.group(2):
            return math.inf
        try:
            total += Decimal(m.group(1)) * _SLEEP_UNIT[m.group(3)]
        except InvalidOperation:  # pragma: no cover - the regex admits only numbers
            return None
    return float(total)


def exec_sleep(command) -> tuple[float, int | None] | None:
    """(seconds, index) of the longest sleep an exec hook runs, where index is the `command` item that holds
    it (None for a command written as one string); None when the command sleeps no literal time.

    Understands `["sleep", "15"]`, `["/bin/sh", "-c", "echo bye; sleep 1m && nginx -s quit"]`, block-scalar
    scripts, `env`/`busybox`/`exec` in front of sleep, and `sleep infinity` (inf). Sleeps in separate
    commands of a script are not added up (a branch or loop may run any of them): the longest one counts.
    """
    if isinstance(command, str):
        found = _script_sleep(command, 0)
        return (found, None) if found is not None else None
    if not isinstance(command, list) or not command:
        return None
    words = [p if isinstance(p, str) else _scalar_text(p) for p in command]
    return _argv_sleep(words, 0)


def exec_sleep_seconds(command) -> float | None:
    """The longest `sleep` an exec preStop runs, in seconds (see `exec_sleep`); None when there is none."""
    found = exec_sleep(command)
    return found[0] if found else None


def _scalar_text(value) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _best(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return b if b[0] > a[0] else a


def _argv_sleep(words: list, depth: int) -> tuple[float, int] | None:
    """The sleep an argv runs, and the index of the word that holds it (the `sleep` word, or the script)."""
    if depth > _MAX_DEPTH:
        return None
    i = _skip_wrappers(words, 0)
    if i is None or i >= len(words) or words[i] is None:
        return None
    name = words[i].rsplit("/", 1)[-1]
    if name == "sleep":
        args = words[i + 2:] if words[i + 1:i + 2] == ["--"] else words[i + 1:]
        if any(a is None for a in args):
            return None
        seconds = sleep_duration(args)
        return (seconds, i) if seconds is not None else None
    if name in _SHELLS:
        script_at = _shell_script_index(words, i + 1)
        if script_at is None or words[script_at] is None:
            return None
        seconds = _script_sleep(words[script_at], depth + 1)
        return (seconds, script_at) if seconds is not None else None
    if name in _LAUNCHERS:  # `dumb-init /bin/sh -c ...`, `gosu app sleep 5`: the command comes later
        for j in range(i + 1, len(words)):
            word = words[j]
            if isinstance(word, str) and word.rsplit("/", 1)[-1] in _COMMANDS:
                found = _argv_sleep(words[j:], depth + 1)
                return (found[0], found[1] + j) if found else None
    return None


def _skip_wrappers(words: list, i: int) -> int | None:
    """Index of the command word after `env [-i] [-u NAME] [NAME=value]...`, `busybox`, `exec`, `nohup`."""
    while i < len(words):
        word = words[i]
        if word is None:
            return None
        name = word.rsplit("/", 1)[-1]
        if name in _PASS_THROUGH or name == "busybox":
            i += 1
            if name == "command":
                while i < len(words) and isinstance(words[i], str) and words[i] in ("-p", "--"):
                    i += 1
            continue
        if name == "env":
            i += 1
            while i < len(words):
                arg = words[i]
                if arg is None:
                    return None
                if arg in ("-u", "--unset", "-C", "--chdir"):
                    i += 2
                elif arg.startswith("-S") or arg.startswith("--split-string"):
                    return None  # env -S splits a string itself: not followed
                elif arg.startswith("-") or _is_assignment(arg):
                    i += 1
                else:
                    break
            continue
        if _is_assignment(word):  # `FOO=bar sleep 5` inside a script
            i += 1
            continue
        return i
    return i


_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", re.S)


def _is_assignment(word: str) -> bool:
    return bool(_ASSIGNMENT.fullmatch(word))


def _shell_script_index(words: list, i: int) -> int | None:
    """Index of the command string of `sh [options] -c [options] SCRIPT ...`; None without `-c`."""
    has_c = False
    while i < len(words):
        word = words[i]
        if word is None:
            return None
        if word == "--":
            i += 1
            break
        if word in ("-o", "+o", "-O", "+O"):
            i += 2
            continue
        if word.startswith("--"):
            i += 1
            continue
        if len(word) > 1 and word[0] in "-+":
            has_c = has_c or (word[0] == "-" and "c" in word[1:])
            i += 1
            continue
        break
    return i if has_c and i < len(words) else None


def _script_sleep(script: str, depth: int) -> float | None:
    """The longest sleep among the simple commands of a shell script."""
    if depth > _MAX_DEPTH:
        return None
    best = None
    for words in shell_commands(script):
        i = 0
        while i < len(words) and words[i] in _SHELL_KEYWORDS:
            i += 1
        found = _argv_sleep(words[i:], depth)
        if found is not None and (best is None or found[0] > best):
            best = found[0]
    return best


def shell_commands(script: str) -> list[list[str]]:
    """Split a POSIX shell script into simple commands (lists of words), as far as finding a `sleep` needs.

    Quotes and backslashes are removed as the shell does; `;`, `&`, `|`, `&&`, `||`, parentheses and newlines
    separate commands; `# comments` and redirections (`> /dev/null`, `2>&1`) are dropped. Expansions stay
    as written (`$DELAY` is not a number, so it is never read as one).
    """
    commands: list[list[str]] = []
    words: list[str] = []
    word: list[str] = []
    in_word = False
    skip_next_word = False  # the target of a redirection
    heredoc_pending = False  # the dropped word is a here-document delimiter
    delimiters: list[str] = []
    n = len(script)
    i = 0

    def end_word():
        nonlocal word, in_word, skip_next_word, heredoc_pending
        if in_word:
            text = "".join(word)
            if skip_next_word:
                skip_next_word = False
                if heredoc_pending:
                    delimiters.append(text)
                    heredoc_pending = False
            else:
                words.append(text)
        word, in_word = [], False

    def end_command():
        nonlocal words
        end_word()
        if words:
            commands.append(words)
        words = []

    while i < n:
        c = script[i]
        if c == "\\":
            if i + 1 < n and script[i + 1] == "\n":
                i += 2  # line continuation
                continue
            if i + 1 < n:
                word.append(script[i + 1])
            in_word = True
            i += 2
            continue
        if c == "'":
            end = script.find("'", i + 1)
            end = n if end < 0 else end
            word.append(script[i + 1:end])
            in_word = True
            i = end + 1
            continue
        if c == '"':
            i += 1
            while i < n and script[i] != '"':
                if script[i] == "\\" and i + 1 < n and script[i + 1] in '"\\$`\n':
                    if script[i + 1] != "\n":
                        word.append(script[i + 1])
                    i += 2
                    continue
                word.append(script[i])
                i += 1
            in_word = True
            i += 1
            continue
        if c == "$" and i + 1 < n and script[i + 1] == "(":
            depth, j = 0, i + 1  # `$(...)` and `$((...))` stay one word
            while j < n:
                if script[j] == "(":
                    depth += 1
                elif script[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            word.append(script[i:j + 1])
            in_word = True
            i = j + 1
            continue
        if c == "`":
            end = script.find("`", i + 1)
            end = n if end < 0 else end
            word.append(script[i:end + 1])
            in_word = True
            i = end + 1
            continue
        if c == "#" and not in_word:
            end = script.find("\n", i)
            i = n if end < 0 else end
            continue
        if c in " \t\r":
            end_word()
            i += 1
            continue
        if c in "<>" or (c == "&" and i + 1 < n and script[i + 1] == ">"):
            if in_word and "".join(word).isdigit():
                word, in_word = [], False  # `2>`: the fd number belongs to the redirection
            end_word()
            j = i + 1 if c == "&" else i
            while j < n and script[j] in "<>":
                j += 1
            heredoc = script.startswith("<<", i) and not script.startswith("<<<", i)
            if j < n and script[j] == "&" and j + 1 < n and (script[j + 1].isdigit() or script[j + 1] == "-"):
                j += 1  # `2>&1`, `>&-`: duplicates a descriptor, no file word
                while j < n and (script[j].isdigit() or script[j] == "-"):
                    j += 1
            else:
                if j < n and script[j] in "&-":  # `>& file`, `<<-EOF`
                    j += 1
                skip_next_word = True  # `> /dev/null`, `>/dev/null`: drop the file name
                if heredoc:
                    heredoc_pending = True  # its word is the delimiter: skip the body after the newline
            i = j
            continue
        if c in ";&|()\n":
            end_command()
            i += 1
            if c == "\n":
                i = _skip_heredocs(script, i, delimiters)
            continue
        word.append(c)
        in_word = True
        i += 1
    end_command()
    return commands


def _skip_heredocs(script: str, i: int, delimiters: list[str]) -> int:
    """Past the bodies of the here-documents opened on the line that just ended (their text is data)."""
    while delimiters:
        delimiter = delimiters.pop(0)
        while i < len(script):
            end = script.find("\n", i)
            line = script[i:] if end < 0 else script[i:end]
            i = len(script) if end < 0 else end + 1
            if line.lstrip("\t") == delimiter:
                break
    return i
