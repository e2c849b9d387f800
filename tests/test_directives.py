"""Terraform template directives rendered as templatefile() renders them, every line kept in place."""
from __future__ import annotations

from forewarn.parse.tomldoc import is_unknown, parse_toml, render_template

ADMIN = """\
[settings.kubernetes]
max-pods = 110
%{ if admin ~}
[settings.host-containers.admin]
enabled = true
%{ endif ~}
[settings.kernel]
lockdown = "%{ if nvidia }none%{ else }integrity%{ endif }"
"""


def rendered(text, **variables):
    out = render_template(text, variables)
    assert out.text.count("\n") == text.count("\n")  # line numbers never move
    return out


def test_known_condition_keeps_the_branch_taken_and_blanks_the_other():
    off = parse_toml(rendered(ADMIN, admin=False, nvidia=False).text)[0]
    assert "host-containers" not in off["settings"] and off["settings"]["kernel"]["lockdown"] == "integrity"
    on, index = parse_toml(rendered(ADMIN, admin=True, nvidia=True).text)
    assert on["settings"]["host-containers"]["admin"]["enabled"] is True
    assert on["settings"]["kernel"]["lockdown"] == "none"
    assert index.key(("settings", "host-containers", "admin", "enabled")).line == 5


def test_unknown_condition_is_unknown_never_a_guess():
    out = rendered(ADMIN)
    data, _ = parse_toml(out.text)
    assert "host-containers" not in data["settings"]  # not judged as enabled...
    assert any(is_unknown(k) for k in data["settings"]["kubernetes"])  # ...and the table may hold anything
    assert is_unknown(data["settings"]["kernel"]["lockdown"])  # an inline choice is an unknown value
    assert "admin" in out.unknown and "nvidia" in out.unknown


def test_if_else_tables_are_not_a_duplicate_key():
    text = '[settings.kernel]\n%{ if gpu ~}\nlockdown = "none"\n%{ else ~}\nlockdown = "integrity"\n%{ endif ~}\n'
    assert parse_toml(rendered(text, gpu=False).text)[0]["settings"]["kernel"]["lockdown"] == "integrity"
    parse_toml(rendered(text).text)  # unknown: no duplicate key either


def test_conditions_are_expressions_of_the_template_variables():
    text = '[settings.kubernetes]\n%{ if pool == "gpu" && max_pods > 50 ~}\nmax-pods = 200\n%{ endif ~}\n'
    assert parse_toml(rendered(text, pool="gpu", max_pods=110).text)[0]["settings"]["kubernetes"] == {"max-pods": 200}
    assert parse_toml(rendered(text, pool="web", max_pods=110).text)[0]["settings"]["kubernetes"] == {}


def test_for_loop_body_kept_once_with_loop_variables_unknown():
    text = ('[settings.kubernetes.node-labels]\n%{ for key, value in labels ~}\n"${key}" = "${value}"\n'
            '%{ endfor ~}\n[settings.kubernetes]\nmax-pods = ${key}\n')
    data, _ = parse_toml(rendered(text, key=7).text)
    labels = data["settings"]["kubernetes"]["node-labels"]
    assert len(labels) == 1 and all(is_unknown(k) and is_unknown(v) for k, v in labels.items())
    assert data["settings"]["kubernetes"]["max-pods"] == 7  # outside the loop the variable is the argument's


def test_unbalanced_directives_fall_back_to_dropping_the_tags():
    text = "[settings.kubernetes]\n%{ if a ~}\nmax-pods = 10\n"
    assert parse_toml(rendered(text, a=False).text)[0]["settings"]["kubernetes"] == {"max-pods": 10}


def test_string_arguments_are_inserted_verbatim_like_terraform():
    text = "[settings.host-containers.admin]\nenabled = ${admin}\n[settings.kubernetes]\ncontainer-log-max-files = ${n}\n"
    data, _ = parse_toml(rendered(text, admin="true", n="1").text)
    assert data["settings"]["host-containers"]["admin"]["enabled"] is True
    assert data["settings"]["kubernetes"]["container-log-max-files"] == 1


def test_a_multiline_argument_alone_on_its_line_is_inserted_and_mapped_back():
    from forewarn.parse.tomldoc import parse_rendered

    text = '[settings.kubernetes]\n"pod-pids-limit" = 4096\n${extra}\n[settings.kernel]\nlockdown = "integrity"\n'
    extra = '[settings.kubernetes.eviction-hard]\n"memory.available" = "5%"\n'
    out = render_template(text, {"extra": extra})
    data, index = parse_rendered(out)
    assert data["settings"]["kubernetes"]["eviction-hard"] == {"memory.available": "5%"}
    assert index.table(("settings", "kubernetes", "eviction-hard")).line == 3  # the placeholder's line
    assert index.key(("settings", "kubernetes", "eviction-hard", "memory.available")).line == 3
    assert index.table(("settings", "kernel")).line == 4  # lines after it keep their template numbers
    assert index.key(("settings", "kernel", "lockdown")).line == 5


def test_a_multiline_argument_that_breaks_the_document_is_unknown_not_an_error():
    from forewarn.parse.tomldoc import parse_rendered

    text = "[settings.kubernetes]\n${script}\n"
    data, _ = parse_rendered(render_template(text, {"script": "#!/bin/bash\necho hi && reboot\n"}))
    assert any(is_unknown(k) for k in data["settings"]["kubernetes"])
