"""Value parsers: Kubernetes quantities, percentages, Bottlerocket durations and thresholds, exec `sleep N`."""
from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.units import (
    exec_sleep,
    exec_sleep_seconds,
    is_bottlerocket_duration,
    is_bottlerocket_quantity,
    parse_percent,
    parse_quantity,
    threshold_problem,
)

BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal(1000),
           "M": Decimal(10) ** 6, "G": Decimal(10) ** 9, "T": Decimal(10) ** 12, "P": Decimal(10) ** 15,
           "E": Decimal(10) ** 18}
numbers = st.integers(min_value=0, max_value=10**9)
decimals = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)


# ------------------------------------------------------------------------------------------ parse_quantity
@given(numbers, st.sampled_from(sorted(BINARY)))
def test_quantity_binary_suffix_round_trip(n, suffix):
    assert parse_quantity(f"{n}{suffix}") == n * BINARY[suffix]


@given(numbers, st.sampled_from(sorted(DECIMAL)))
def test_quantity_decimal_suffix_round_trip(n, suffix):
    assert parse_quantity(f"{n}{suffix}") == n * DECIMAL[suffix]


@given(decimals, st.sampled_from(sorted(BINARY) + sorted(DECIMAL)))
def test_quantity_fractional_round_trip(number, suffix):
    scale = BINARY.get(suffix) or DECIMAL[suffix]
    assert parse_quantity(f"{number}{suffix}") == number * scale


@given(numbers, st.integers(min_value=-12, max_value=12), st.sampled_from(["e", "E"]))
def test_quantity_exponent(n, exp, letter):
    assert parse_quantity(f"{n}{letter}{exp}") == n * Decimal(10) ** exp


@given(numbers)
def test_binary_and_decimal_suffixes_differ(n):
    if n:
        assert parse_quantity(f"{n}Ki") == parse_quantity(f"{n}k") * Decimal("1.024")
        assert parse_quantity(f"{n}Gi") > parse_quantity(f"{n}G")


@given(st.integers(min_value=-10**6, max_value=10**6))
def test_quantity_accepts_plain_numbers(n):
    assert parse_quantity(n) == n
    assert parse_quantity(str(n)) == n


@pytest.mark.parametrize("text", ["12ki", "100Kiii", "10K", "1000i", "100e23m", "1100KTi", "", "Gi", "1.2.3", " 1Gi",
                                  "1Gi ", "1Gi\n", "1 Gi", "anything%", "10%", "0x10", "1_000"])
def test_quantity_rejects(text):
    assert parse_quantity(text) is None


@pytest.mark.parametrize("value", [None, True, False, [], {}, float("nan"), float("inf")])
def test_quantity_rejects_non_quantities(value):
    assert parse_quantity(value) is None


# ------------------------------------------------------------------------------------------ parse_percent
@given(st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False))
def test_percent_round_trip(value):
    text = f"{value}%"
    assert parse_percent(text) == pytest.approx(value)


@given(st.integers(min_value=0, max_value=100))
def test_percent_integers(n):
    assert parse_percent(f"{n}%") == n


@pytest.mark.parametrize("text", ["10", "10 %", " 10%", "10%\n", "anything%", "%", "inf%", "nan%", "1_0%", "10%%",
                                  "ten%"])
def test_percent_rejects(text):
    assert parse_percent(text) is None


def test_percent_rejects_non_strings():
    assert parse_percent(10) is None
    assert parse_percent(None) is None


# ------------------------------------------------------------------------------------------ durations
UNITS = ["h", "m", "s", "ms"]
amount = st.one_of(st.integers(min_value=0, max_value=10**6).map(str),
                   st.tuples(st.integers(0, 999), st.integers(0, 999)).map(lambda t: f"{t[0]}.{t[1]}"))


@given(st.lists(st.booleans(), min_size=4, max_size=4).filter(any), st.lists(amount, min_size=4, max_size=4))
def test_duration_accepts_units_in_order(use, amounts):
    text = "".join(a + u for a, u, keep in zip(amounts, UNITS, use) if keep)
    assert is_bottlerocket_duration(text)


@given(st.permutations(UNITS), st.integers(min_value=1, max_value=999))
def test_duration_rejects_units_out_of_order(order, n):
    text = "".join(f"{n}{u}" for u in order)
    assert is_bottlerocket_duration(text) == (list(order) == UNITS)


@given(st.integers(min_value=0, max_value=10**6))
def test_duration_rejects_bare_numbers(n):
    assert not is_bottlerocket_duration(str(n))
    assert not is_bottlerocket_duration(n)


@pytest.mark.parametrize("text", ["90", "1m2h", "5us", "9ns", "", "1m30", "...3ms", "1..5s", "ten second", "1m\n",
                                  " 30s", "30S", "1d"])
def test_duration_rejects(text):
    assert not is_bottlerocket_duration(text)


@pytest.mark.parametrize("text", ["9ms", "99s", "20m", "1h", "1h2m3s10ms", "4m5s10ms", "2h3s10ms", "1.5h3.5m", "1m30s"])
def test_duration_accepts_bottlerocket_examples(text):
    assert is_bottlerocket_duration(text)


# ------------------------------------------------------------------------------------------ thresholds
@pytest.mark.parametrize("text", ["10%", "0%", "99.9%", "129e6", "10Mi", "1024M", "1Gi", "120Ki", "1Ti", "1000n", "100m"])
def test_threshold_accepts(text):
    assert threshold_problem(text) is None


@pytest.mark.parametrize("text", ["", "anything%", "12ki", "100e23m", "1100KTi", "100Kiii", "1000i", "100%", "120%",
                                  "-5%", "0", "0Mi", "-1Gi", "100K", "1.2.3", "12%%"])
def test_threshold_rejects(text):
    assert threshold_problem(text) is not None


@given(st.floats(min_value=0, max_value=99.99, allow_nan=False))
def test_threshold_percent_range(value):
    assert threshold_problem(f"{value:.2f}%") is None


def test_bottlerocket_quantity_regex_is_laxer_than_the_kubelet():
    assert is_bottlerocket_quantity("100K") and parse_quantity("100K") is None
    assert threshold_problem("100K") is not None


# ------------------------------------------------------------------------------------------ exec sleep
@pytest.mark.parametrize("command,seconds", [
    (["sleep", "15"], 15),
    (["/bin/sleep", "5"], 5),
    (["/bin/sh", "-c", "sleep 5 && nginx -s quit"], 5),
    (["sh", "-c", "sleep 10; /app/drain"], 10),
    (["/bin/sh", "-c", "echo draining; sleep 2.5"], 2.5),
    (["sleep", "20s"], 20),
    ("sleep 7", 7),
    # GNU / BusyBox units and sums: NUMBER[smhd]..., summed
    (["sleep", "1m"], 60),
    (["sh", "-c", "sleep 1m"], 60),
    (["sleep", "0.5m"], 30),
    (["sleep", "1m", "30s"], 90),
    (["sleep", "2h"], 7200),
    (["sleep", "1d"], 86400),
    (["sleep", ".5"], 0.5),
    (["sleep", "1e1"], 10),
    (["sleep", "--", "12"], 12),
    (["sleep", 40], 40),  # an unquoted YAML number
    # wrappers in front of sleep
    (["/bin/busybox", "sleep", "40"], 40),
    (["busybox", "sh", "-c", "sleep 41"], 41),
    (["env", "sleep", "40"], 40),
    (["/usr/bin/env", "sleep", "40"], 40),
    (["/usr/bin/env", "-i", "-u", "HOME", "DRAIN=1", "sleep", "42"], 42),
    (["sh", "-c", "exec sleep 9"], 9),
    (["sh", "-c", "DRAIN=1 nohup sleep 8"], 8),
    # shells and their options
    (["/bin/sh", "-ec", "sleep 5"], 5),
    (["bash", "-o", "pipefail", "-c", "sleep 7"], 7),
    (["sh", "-c", "bash -c 'sleep 11'"], 11),
    (["/usr/bin/dumb-init", "/bin/sh", "-c", "sleep 8"], 8),
    # scripts: block scalars, redirections, comments, conditionals, the longest sleep wins
    (["/bin/sh", "-c", 'echo "preStop: draining" > /proc/1/fd/1\nsleep 45\nkill -TERM 1'], 45),
    (["sh", "-c", "sleep 10 >/dev/null 2>&1; /app/drain"], 10),
    (["sh", "-c", "if [ -f /tmp/ready ]; then sleep 20; else sleep 5; fi"], 20),
    (["sh", "-c", "# sleep 100 would be too long\nsleep 2"], 2),
    (["sh", "-c", "cat <<EOF > /tmp/x\nsleep 99\nEOF\nsleep 3"], 3),
    (["sh", "-c", "sleep \\\n  15"], 15),
    # forever
    (["sleep", "infinity"], math.inf),
    (["sleep", "inf"], math.inf),
    (["sh", "-c", "sleep infinity"], math.inf),
])
def test_exec_sleep_seconds(command, seconds):
    assert exec_sleep_seconds(command) == seconds


@pytest.mark.parametrize("command", [
    ["nginx", "-s", "quit"], ["/bin/sh", "-c", "kill -TERM 1"], [], None, 5, ["sleep"],
    ["sleep", "1m30s"],  # rejected by GNU and BusyBox sleep ("invalid time interval"): no sleep at all
    ["sleep", "1M"], ["sleep", "-1"], ["sleep", "5 "], ["sleep", "0x10"], ["sleep", "ten"],
    ["sh", "-c", "sleep $DRAIN_SECONDS"], ["sh", "-c", 'sleep "${DELAY:-10}"'], ["sh", "-c", "sleep $(cat /delay)"],
    ["/bin/sh", "/scripts/pre-stop.sh"],  # a script file: its content is not in the manifest
    ["sh", "-c", "echo 'sleep 30'"], ["/app/drain", "--then-sleep", "30"], ["env", "-S", "sleep 30"],
    ["timeout", "5", "sleep", "30"],  # not followed: the timeout bounds it
    ["sleep", None], ["sh", "-c", None], [None, "sleep", "5"],
])
def test_exec_sleep_seconds_none(command):
    assert exec_sleep_seconds(command) is None


def test_exec_sleep_points_at_the_item_that_holds_it():
    assert exec_sleep(["sleep", "40"]) == (40, 0)
    assert exec_sleep(["/bin/busybox", "sleep", "40"]) == (40, 1)
    assert exec_sleep(["/bin/sh", "-c", "sleep 45"]) == (45, 2)
    assert exec_sleep("sleep 7") == (7, None)


@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=3600))
def test_exec_sleep_seconds_generated(n):
    assert exec_sleep_seconds(["sleep", str(n)]) == n
    assert exec_sleep_seconds(["/bin/sh", "-c", f"sleep {n} && kill -QUIT 1"]) == n


SLEEP_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
sleep_args = st.tuples(st.integers(0, 10_000), st.sampled_from(sorted(SLEEP_UNITS)))


@settings(max_examples=100)
@given(st.lists(sleep_args, min_size=1, max_size=4),
       st.sampled_from([[], ["env"], ["/usr/bin/env"], ["busybox"], ["/bin/busybox"], ["exec"]]),
       st.sampled_from(["argv", "sh", "block"]))
def test_exec_sleep_units_are_summed_in_every_form(args, wrapper, form):
    words = [f"{n}{unit}" for n, unit in args]
    expected = sum(n * SLEEP_UNITS[unit] for n, unit in args)
    argv = [*wrapper, "sleep", *words]
    if form == "argv":
        command, index = argv, len(wrapper)
    elif form == "sh":
        command, index = ["/bin/sh", "-c", " ".join(argv) + " && nginx -s quit"], 2
    else:
        command, index = ["/bin/sh", "-c", "echo draining\n" + " ".join(argv) + "\nkill -TERM 1\n"], 2
    assert exec_sleep(command) == (expected, index)


@settings(max_examples=100)
@given(st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
       st.sampled_from(sorted(SLEEP_UNITS)))
def test_exec_sleep_fractions_with_units(number, unit):
    assert exec_sleep_seconds(["sleep", f"{number}{unit}"]) == float(number * SLEEP_UNITS[unit])


@settings(max_examples=100)
@given(st.lists(st.integers(0, 600), min_size=1, max_size=5), st.sampled_from(["; ", " && ", " || ", "\n", " | "]))
def test_exec_sleep_takes_the_longest_of_a_script(durations, separator):
    script = separator.join(f"sleep {n}" for n in durations)
    assert exec_sleep_seconds(["sh", "-c", script]) == max(durations)


@settings(max_examples=100)
@given(st.text(max_size=80))
def test_exec_sleep_never_crashes(text):
    for command in (text, ["sh", "-c", text], ["sleep", text], [text, text]):
        result = exec_sleep(command)
        assert result is None or result[0] >= 0


def test_placeholder_alone_on_a_line_keeps_the_template_valid_toml():
    from forewarn.parse.tomldoc import is_unknown, parse_toml, render_template

    text = '[settings.kubernetes]\ncluster-name = "${cluster_name}"\n${bootstrap_extra_args}\n[settings.kernel]\nlockdown = "integrity"\n'
    rendered = render_template(text, {"cluster_name": "prod"})
    data, index = parse_toml(rendered.text)
    assert data["settings"]["kubernetes"]["cluster-name"] == "prod"
    assert any(is_unknown(k) for k in data["settings"]["kubernetes"])
    assert index.table(("settings", "kernel")).line == 4  # lines stay where they were
    one_line = render_template("[settings.kubernetes]\n${extra}\n", {"extra": 'pod-pids-limit = 1024'})
    assert parse_toml(one_line.text)[0]["settings"]["kubernetes"] == {"pod-pids-limit": 1024}
