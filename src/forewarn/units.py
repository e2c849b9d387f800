"""Value parsing done once and right: Kubernetes quantities, percentages, Bottlerocket durations, `sleep N`.

Every parser returns None for text it does not accept, so a check can tell "invalid" from "a value".
"""
from __future__ import annotations

import math
import re
import shlex
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


_SLEEP = re.compile(r"(?:^|[\s;&|(])(?:/usr/bin/|/bin/)?sleep\s+([0-9]+(?:\.[0-9]+)?)(s?)(?=$|[\s;&|)])")


def exec_sleep_seconds(command) -> float | None:
    """The longest `sleep N` an exec preStop runs: `["sleep", "15"]`, `["/bin/sh", "-c", "sleep 5 && nginx -s quit"]`.

    Returns None when the command sleeps for no literal number of seconds.
    """
    if isinstance(command, str):
        parts = [command]
    elif isinstance(command, list):
        parts = [str(p) for p in command if p is not None]
    else:
        return None
    if not parts:
        return None
    best = None
    name = parts[0].rsplit("/", 1)[-1]
    if name == "sleep" and len(parts) >= 2:
        value = _seconds(parts[1])
        if value is not None:
            best = value
    for part in parts:
        for m in _SLEEP.finditer(part):
            value = float(m.group(1))
            best = value if best is None else max(best, value)
        if " " in part and part is not parts[0]:
            try:
                words = shlex.split(part)
            except ValueError:
                continue
            for i, word in enumerate(words[:-1]):
                if word.rsplit("/", 1)[-1] == "sleep":
                    value = _seconds(words[i + 1])
                    if value is not None:
                        best = value if best is None else max(best, value)
    return best


def _seconds(text: str) -> float | None:
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(s?)", text.strip())
    return float(m.group(1)) if m else None
