"""The located YAML loader: same values as PyYAML's SafeLoader, plus positions, duplicates and alias limits."""
from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.findings import Position
from forewarn.parse.yamldoc import MAX_NODES, ParseError, load_stream

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20),
)
TREES = st.recursive(
    SCALARS,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.text("abcxyz-._", min_size=1, max_size=6), kids, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(TREES, st.sampled_from([None, True]))
def test_values_equal_safe_load(tree, flow):
    text = yaml.safe_dump(tree, default_flow_style=flow)
    assert load_stream(text)[0].data == yaml.safe_load(text) if tree is not None else True


def test_yaml_11_scalars_resolve_like_safeloader():
    text = "a: yes\nb: 0x1F\nc: 1_000\nd: ~\ne: '3'\nf: 1:30\ng: .inf\nh: 2024-01-01\ni: \"no\"\n"
    assert load_stream(text)[0].data == {k: (str(v) if k == "h" else v) for k, v in yaml.safe_load(text).items()}


def test_positions_of_keys_values_and_items():
    text = "apiVersion: v1\nkind: List\nitems:\n  - name: a\n    value: 1\n  - [x, y]\n"
    data = load_stream(text)[0].data
    assert data.at("items") == Position(3, 1)
    assert data.val_pos["kind"] == Position(2, 7)
    assert data["items"].at(0) == Position(4, 5)
    assert data["items"][0].at("value") == Position(5, 5)
    assert data["items"].at(1) == Position(6, 5)


def test_duplicate_key_is_an_error_at_the_second_key():
    with pytest.raises(ParseError) as err:
        load_stream("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert err.value.position == Position(4, 3)


def test_merge_keys_and_overrides_are_not_duplicates():
    data = load_stream("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n")[0].data
    assert data["derived"] == {"x": 1, "y": 3}


def test_local_tags_and_equals_key_are_read_as_text():
    data = load_stream("=: value-key\nref: !Ref Param\nsub: !Sub 'x-${A}'\n")[0].data
    assert data == {"=": "value-key", "ref": "Param", "sub": "x-${A}"}


def test_billion_laughs_is_refused_quickly():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(ParseError) as err:
        load_stream("\n".join(lines) + "\n")
    assert "alias expansion" in err.value.message and MAX_NODES == 1_000_000


def test_helm_source_comment_names_each_document():
    text = "---\n# Source: chart/templates/a.yaml\nkind: A\n---\n# Source: chart/templates/b.yaml\nkind: B\n"
    assert [d.source for d in load_stream(text)] == ["chart/templates/a.yaml", "chart/templates/b.yaml"]


def test_syntax_error_position():
    with pytest.raises(ParseError) as err:
        load_stream("a: [1, 2\nb: 3\n")
    assert err.value.position.line == 2


def test_yaml_only_line_breaks_do_not_shift_positions():
    """libyaml (YAML 1.1) breaks lines at NEL, U+2028 and U+2029 inside scalars; editors, git and SARIF
    count LF/CR only. Positions after such a character must be the editor's."""
    text = ('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {d: "x\u2028y\u2029z\x85w"}\n'
            'data:\n  key: value\n')
    [doc] = load_stream(text)
    assert doc.data["data"].at("key") == Position(7, 3)
    from forewarn.findings import source_lines
    assert source_lines(text)[6] == "  key: value"
