"""HCL with positions (parse.hcldoc): located blocks/attributes, heredoc positions, the evaluator, E001."""
from __future__ import annotations

import pytest

from forewarn.findings import Position
from forewarn.parse.hcldoc import (
    MARK,
    UNKNOWN,
    Doc,
    Env,
    Evaluator,
    Heredoc,
    LDict,
    LList,
    Traversal,
    is_known,
    parse_expression,
    parse_hcl,
)
from forewarn.parse.yamldoc import ParseError


def ev(source: str, env: Env | None = None):
    return Evaluator(env or Env()).eval(parse_expression(source))


# ------------------------------------------------------------------------------------------ structure
def test_blocks_and_attributes_keep_positions():
    body = parse_hcl(
        'resource "aws_launch_template" "nodes" {\n'
        '  name_prefix = "br-"\n'
        "\n"
        "  block_device_mappings {\n"
        '    device_name = "/dev/xvda"\n'
        "  }\n"
        "}\n"
    )
    (block,) = body.blocks
    assert (block.type, block.labels, block.pos, block.end_line) == (
        "resource", ["aws_launch_template", "nodes"], Position(1, 1), 7)
    assert block.body.attr("name_prefix").pos == Position(2, 3)
    assert block.body.attr("name_prefix").value.pos == Position(2, 17)
    (bdm,) = block.body.blocks_of("block_device_mappings")
    assert bdm.pos == Position(4, 3)
    assert bdm.body.attr("device_name").pos == Position(5, 5)


def test_crlf_and_comments():
    body = parse_hcl('# comment\r\nlocals {\r\n  // c\r\n  a = 1 /* x */\r\n}\r\n')
    assert body.blocks[0].body.attr("a").pos == Position(4, 3)


@pytest.mark.parametrize(
    "text, line",
    [
        ('resource "x" "y" {\n  a = \n}\n', 2),
        ('resource "x" "y" {\n  a = 1\n', 2),
        ('resource "x" "y" {\n  a = 1', 2),
        ('a = "unterminated\nb = 2\n', 1),
        ("a = 1 2\n", 1),
        ("x {\n  a = [1,\n}\n", 3),
        ("a = <<EOT\nno end\n", 1),
    ],
)
def test_syntax_error_is_a_located_parse_error(text, line):
    with pytest.raises(ParseError) as info:
        parse_hcl(text)
    assert info.value.position.line == line
    assert info.value.message.startswith("HCL syntax error")
    assert len(text.split("\n")) >= info.value.position.line


# ------------------------------------------------------------------------------------------ heredocs
def test_heredoc_content_position_plain():
    body = parse_hcl('x = 1\nuser_data = <<EOT\n[settings.kubernetes]\nmax-pods = 10\nEOT\n')
    node = body.attr("user_data").value
    assert isinstance(node, Heredoc)
    assert node.content_pos == Position(3, 1)
    value = ev_node(node)
    assert value == "[settings.kubernetes]\nmax-pods = 10\n"
    assert isinstance(value, Doc) and value.line_offset == 2 and value.column_offset == 0


def test_heredoc_indented_trims_and_reports_column():
    text = (
        "locals {\n"
        "  settings = <<-EOT\n"
        "      [settings.kernel]\n"
        '        lockdown = "integrity"\n'
        "    EOT\n"
        "}\n"
    )
    node = parse_hcl(text).blocks[0].body.attr("settings").value
    assert node.trim and node.indent == 6
    assert node.content_pos == Position(3, 7)
    value = ev_node(node)
    assert value == '[settings.kernel]\n  lockdown = "integrity"\n'
    assert value.line_offset == 2 and value.column_offset == 6


def test_heredoc_interpolation():
    class E(Env):
        def reference(self, node, evaluator):
            return {"name": "prod"}.get(node.steps[0][1], UNKNOWN) if node.root == "var" else UNKNOWN

    value = Evaluator(E()).eval(parse_expression('<<EOT\ncluster = "${var.name}"\nx = ${var.other}\nEOT\n'))
    assert value.startswith('cluster = "prod"\n')
    assert MARK in value
    assert value.variables == {"__forewarn_0": "prod"}


def ev_node(node, env=None):
    return Evaluator(env or Env()).eval(node)


# ------------------------------------------------------------------------------------------ evaluator
def test_literals_and_collections():
    assert ev('"a"') == "a"
    assert ev("20") == 20 and ev("2.5") == 2.5 and ev("true") is True and ev("null") is None
    value = ev('{ a = 1, "b c" = [1, "x"], d: { e = false } }')
    assert isinstance(value, LDict) and value == {"a": 1, "b c": [1, "x"], "d": {"e": False}}
    assert isinstance(value["b c"], LList)
    located = Evaluator(Env()).eval(parse_hcl('x = { a = 1, "b c" = [1, "x"], d: { e = false } }').attr("x").value)
    assert located.at("d") == Position(1, 32) and located.pos == Position(1, 5)


def test_string_escapes_and_interpolation_escape():
    assert ev(r'"a\"b\n\u00e9"') == 'a"b\né'
    assert ev('"$${not_interpolated}"') == "${not_interpolated}"


def test_functions_on_known_values():
    assert ev('upper("bottlerocket")') == "BOTTLEROCKET"
    assert ev('lower("AL2")') == "al2"
    assert ev('trimspace("  x ")') == "x"
    assert ev('format("%s-%d", "a", 3)') == "a-3"
    assert ev('join("/", ["a", "b"])') == "a/b"
    assert ev('replace("a-b-c", "-", "_")') == "a_b_c"
    assert ev('replace("v1.2", "/v(\\\\d)/", "$1")') == "1.2"
    assert ev('merge({a = 1}, {b = 2})') == {"a": 1, "b": 2}
    assert ev('lookup({a = 1}, "b", 3)') == 3
    assert ev('"${upper("x")}_${"y"}"') == "X_y"
    assert ev("(1 + 2) * 3") == 9
    assert ev('true ? "a" : "b"') == "a"
    assert ev("-5") == -5


def test_base64_wrappers_keep_the_inner_document():
    value = ev('base64encode(<<EOT\n[settings.kernel]\nEOT\n)')
    assert isinstance(value, Doc) and value == "[settings.kernel]\n"
    assert ev('base64gzip("x")') == "x"


def test_unknown_is_distinct_and_partial_strings_keep_known_pieces():
    assert ev("var.nope") is UNKNOWN
    assert ev("unknownfn(1)") is UNKNOWN
    assert ev("[for x in y : x]") is UNKNOWN
    assert ev("a[*].b") is UNKNOWN
    assert ev('upper(var.x)') is UNKNOWN
    partial = ev('"/aws/service/bottlerocket/aws-k8s-${var.v}/x86_64/latest/image_id"')
    assert partial.startswith("/aws/service/bottlerocket/aws-k8s-") and not is_known(partial)
    assert not UNKNOWN  # falsy: a careless `if value:` treats it as absent


@pytest.mark.parametrize(
    "source",
    ['format("%s")', 'join(1, 2)', 'replace("a", "/(/", "")', "1 / 0", '{ (var.k) = 1 }', "f(x...)",
     '"${var.a}" == "b"', "x.0.y[\"z\"]", '"%{ if x }a%{ endif }"', "provider::aws::arn_parse(\"x\")"],
)
def test_odd_expressions_never_raise(source):
    value = ev(source)
    assert value is UNKNOWN or value is None or isinstance(value, (str, bool, int, float, dict, list))


def test_traversal_shape():
    node = parse_expression("aws_launch_template.nodes[0].latest_version")
    assert isinstance(node, Traversal) and node.root == "aws_launch_template"
    assert [k for k, _ in node.steps] == ["attr", "index", "attr"]


def test_unicode_identifiers_are_valid_hcl():
    """HCL identifiers are Unicode ID_Start ID_Continue* (plus '-'); an umlaut in a local is no E001."""
    from forewarn.parse.hcldoc import parse_hcl

    body = parse_hcl('locals {\n  abteilungs_kürzel = "PLT"\n  größe-gib = 200\n}\n')
    assert list(body.blocks[0].body.attributes) == ["abteilungs_kürzel", "größe-gib"]
