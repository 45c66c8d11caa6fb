"""The located YAML loader: places, duplicate keys, tags and the bounds on hostile input."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import Diagnostics
from generator.yamlload import MAX_DEPTH, Map, Node, Scalar, Seq, load_yaml


def load(text: str) -> tuple[Node | None, list[str]]:
    d = Diagnostics()
    node = load_yaml(text, "f.yaml", d)
    return node, [str(x) for x in d]


def test_every_key_and_list_entry_has_its_line_and_column() -> None:
    node, errors = load("title: T\nlist:\n  - one\n  -   two\nmap: {a: 1}\n")
    assert errors == []
    assert isinstance(node, Map)
    keys = {k.text: (k.at.line, k.at.column) for k, _ in node.items}
    assert keys == {"title": (1, 1), "list": (2, 1), "map": (5, 1)}
    seq = node.get("list")
    assert isinstance(seq, Seq)
    assert [(i.at.line, i.at.column) for i in seq.items] == [(3, 5), (4, 7)]
    inner = node.get("map")
    assert isinstance(inner, Map) and inner.items[0][1].at.column == 10


def test_scalars_keep_their_text_and_yaml_kind() -> None:
    node, _ = load("a: 1984\nb: 2025-10-08\nc: yes\nd: ~\ne: 'quoted'\nf: 1.5\n")
    assert isinstance(node, Map)
    got = {k.text: (v.text, v.kind) for k, v in node.items if isinstance(v, Scalar)}
    assert got == {"a": ("1984", "int"), "b": ("2025-10-08", "timestamp"), "c": ("yes", "bool"),
                   "d": ("~", "null"), "e": ("quoted", "str"), "f": ("1.5", "float")}


def test_duplicate_key_is_error_at_second_with_first_line() -> None:
    node, errors = load("title: A\nrole: x\ntitle: B\n")
    assert errors == ["f.yaml:3:1: error: duplicate key 'title' (first at line 1); remove one of them"]
    assert isinstance(node, Map) and node.get("title") == Scalar("A", "str", node.items[0][1].at)


def test_tab_indentation_is_syntax_error_with_hint() -> None:
    _, errors = load("title: A\nlist:\n\t- x\n")
    assert len(errors) == 1
    assert errors[0].startswith("f.yaml:3:1: error: YAML syntax:")
    assert "indent with spaces, not tabs" in errors[0]


def test_unquoted_colon_value_hints_to_quote() -> None:
    _, errors = load("title: a: b\n")
    assert errors[0].startswith("f.yaml:1:9: error: YAML syntax:")
    assert "must be quoted" in errors[0]


def test_python_object_tag_is_refused_not_constructed() -> None:
    _, errors = load("title: !!python/object/apply:os.system ['echo pwned']\n")
    assert any(e.startswith("f.yaml:1:8: error: tag '!!python/object/apply:os.system' is not allowed")
               for e in errors), errors


def test_python_name_tag_on_scalar_is_refused() -> None:
    node, errors = load("title: !!python/name:os.system x\n")
    assert errors == ["f.yaml:1:8: error: tag '!!python/name:os.system' is not allowed: briefing files"
                      " hold plain text, numbers, dates, lists and mappings only"]
    assert isinstance(node, Map)  # read on as text so later checks still run


def test_custom_local_tag_is_refused() -> None:
    _, errors = load("title: !foo bar\n")
    assert errors and errors[0].startswith("f.yaml:1:8: error: tag '!foo' is not allowed")


def test_alias_bomb_is_stopped_quickly() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    started = time.perf_counter()
    node, errors = load("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 2
    assert node is None
    assert len(errors) == 1 and "document too large" in errors[0]
    assert errors[0].startswith("f.yaml:")


def test_ordinary_aliases_are_allowed() -> None:
    node, errors = load("a: &x [1, 2]\nb: *x\n")
    assert errors == []
    assert isinstance(node, Map) and node.get("a") == node.get("b")


def test_ten_thousand_deep_nesting_is_error_not_crash() -> None:
    text = "a: " + "[" * 10_000 + "]" * 10_000 + "\n"
    node, errors = load(text)
    assert node is None
    # Our own bound stops it at the 64th bracket, unless libyaml (0.2.5 and
    # later, bundled with PyYAML 6.0.3 on) stops it first, where its scanner
    # reached its own limit: either way one located error that says what is wrong.
    assert len(errors) == 1
    assert re.fullmatch(rf"f\.yaml:1:({4 + MAX_DEPTH - 1}|\d{{4}}): error: nested more than {MAX_DEPTH} levels deep",
                        errors[0]), errors


def test_deep_block_mappings_are_bounded() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(200))
    node, errors = load(text)
    assert node is None
    assert len(errors) == 1 and f"nested more than {MAX_DEPTH} levels deep" in errors[0]


def test_empty_and_comment_only_documents_are_none_without_errors() -> None:
    assert load("") == (None, [])
    assert load("# just a comment\n") == (None, [])


def test_two_documents_are_an_error_at_the_second_marker() -> None:
    node, errors = load("title: a\n---\ntitle: b\n")
    assert node is None
    assert errors == ["f.yaml:2:1: error: more than one YAML document ('---'); a file holds one"]


def test_mapping_as_key_is_error() -> None:
    _, errors = load("? [a, b]\n: c\n")
    assert errors and "a key must be plain text" in errors[0]


def test_undefined_alias_is_located_error() -> None:
    _, errors = load("a: *nope\n")
    assert len(errors) == 1 and errors[0].startswith("f.yaml:1:4: error:")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_loader_never_raises_on_arbitrary_text(text: str) -> None:
    d = Diagnostics()
    node = load_yaml(text, "f.yaml", d)
    for diag in d:
        assert diag.location.path == "f.yaml" and diag.location.line >= 1
    _assert_located(node)


_YAMLISH = st.lists(st.sampled_from(["a", ":", " ", "\n", "-", "[", "]", "{", "}", ",", "&x", "*x",
                                     "!!str", "!!python/object", "'", '"', "#", "\t", "---", "?",
                                     "k: v", "  ", "2025-02-30", "|", ">"]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_YAMLISH.map("".join))
def test_loader_never_raises_on_yaml_like_text(text: str) -> None:
    d = Diagnostics()
    node = load_yaml(text, "f.yaml", d)
    _assert_located(node)
    if d.has_errors():
        assert all(x.location.line >= 1 for x in d)


def _assert_located(node: Node | None) -> None:
    stack = [node] if node is not None else []
    seen = 0
    while stack and seen < 10_000:
        n = stack.pop()
        seen += 1
        assert isinstance(n, Scalar | Seq | Map)
        assert n.at.path == "f.yaml" and n.at.line >= 1 and n.at.column >= 1
        if isinstance(n, Seq):
            stack.extend(n.items)
        elif isinstance(n, Map):
            for k, v in n.items:
                assert isinstance(k, Scalar) and k.at.line >= 1
                stack.append(v)
