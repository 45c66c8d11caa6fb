"""The Jinja2 environment of generator/render.py: ``a.b`` as the templates read it.

The compiler writes ``name.attr`` as a key lookup for a dict holding that key,
and Jinja's own lookup for anything else: what a template shows must be the
same as with Jinja's compiler, for every kind of value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.parser
import pytest

from generator import render
from generator.memo import Memo


class _Item:
    text = "an attribute"


def _env(tmp_path: Path) -> jinja2.Environment:
    return render.environment(render.TemplateSet(user=None, builtin=tmp_path))


def _jinja(tmp_path: Path, template: str, **context: Any) -> str:
    """What the same environment renders with Jinja2's own compiler, whose
    ``a.b`` is a call of the environment's ``getattr`` (a dict's key first)."""
    env = _env(tmp_path)
    env.code_generator_class = jinja2.compiler.CodeGenerator
    return env.from_string(template).render(**context)


@pytest.mark.parametrize("value", [
    {"text": "<b>a key</b>"},                 # a dict's key, escaped
    {"items": "a key named as a method"},     # the key wins (Jinja's lookup alone gives the method)
    _Item(),                                  # an object's attribute
])
def test_attribute_lookups_show_what_jinja_shows(tmp_path: Path, value: object) -> None:
    template = "{% for r in rows %}{{ r.text if r.text is defined else r.items }}{% endfor %}"
    ours = _env(tmp_path).from_string(template).render(rows=[value])
    assert ours == _jinja(tmp_path, template, rows=[value])


def test_a_dict_method_is_reached_when_the_dict_has_no_such_key(tmp_path: Path) -> None:
    template = "{% for r in rows %}{{ r.keys()|list|join(',') }}{% endfor %}"
    assert _env(tmp_path).from_string(template).render(rows=[{"a": 1, "b": 2}]) == "a,b"


def test_a_missing_key_is_still_an_error(tmp_path: Path) -> None:
    template = "{% for r in rows %}{{ r.nothing }}{% endfor %}"
    with pytest.raises(jinja2.UndefinedError):
        _env(tmp_path).from_string(template).render(rows=[{"text": "x"}])


def test_a_variables_attribute_is_compiled_as_a_key_lookup(tmp_path: Path) -> None:
    env = _env(tmp_path)
    source = "{% for r in rows %}{{ r.text }}{% endfor %}"
    code = env.compile(source, raw=True)
    assert "l_1_r['text'] if l_1_r.__class__ is dict" in code
    assert env.from_string(source).render(rows=[{"text": "a"}, {"text": "b"}]) == "ab"


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The names of the templates Jinja parses from now on, as it parses them."""
    parsed: list[str | None] = []
    real = jinja2.parser.Parser.parse

    def counted(self: jinja2.parser.Parser) -> jinja2.nodes.Template:
        parsed.append(self.name)
        return real(self)

    monkeypatch.setattr(jinja2.parser.Parser, "parse", counted)
    return parsed


def test_a_template_parsed_for_its_keys_is_not_parsed_again_to_compile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "base.html").write_text("<main>{% block main %}{% endblock %}</main>\n", encoding="utf-8")
    (tmp_path / "page.html").write_text("{% extends 'base.html' %}{% block main %}{{ x.text }}{% endblock %}\n",
                                        encoding="utf-8")
    parsed = _parses(monkeypatch)
    env = _env(tmp_path)
    keys = render.template_keys(env, Memo())
    assert keys["page.html"] != keys["base.html"]
    assert len(parsed) == 2
    assert env.get_template("page.html").render(x={"text": "<b>"}) == "<main>&lt;b&gt;</main>\n"
    assert len(parsed) == 2, "compiling took the trees the keys were found from"
    # One not parsed for its keys is parsed when it is compiled, as ever.
    (tmp_path / "other.html").write_text("{{ 1 + 1 }}\n", encoding="utf-8")
    assert env.get_template("other.html").render() == "2\n"
    assert len(parsed) == 3


def test_templates_prepared_ahead_are_neither_parsed_nor_compiled_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``render.prepared`` (what a first build's child works out while the build
    reads the briefing): every template compiled into the bytecode cache, and
    the keys, which the build takes only while the sources are those they were
    made from, and then saves for the next build."""
    folder, cache = tmp_path / "templates", tmp_path / "cache"
    folder.mkdir()
    (folder / "base.html").write_text("<main>{% block main %}{% endblock %}</main>\n", encoding="utf-8")
    (folder / "page.html").write_text("{% extends 'base.html' %}{% block main %}{{ x.text }}{% endblock %}\n",
                                      encoding="utf-8")
    templates = render.TemplateSet(user=None, builtin=folder)
    offered = render.prepared(templates, cache)
    expected = render.template_keys(render.environment(templates), Memo())
    parsed = _parses(monkeypatch)
    env = render.environment(templates, cache=cache)
    saved: dict[str, object] = {}
    keys = render.template_keys(env, Memo(), saved, offered=offered)
    assert keys == expected and saved and parsed == []
    assert env.get_template("page.html").render(x={"text": "<b>"}) == "<main>&lt;b&gt;</main>\n"
    assert parsed == [], "loaded from the bytecode cache"
    # A template edited since: the offered keys are not its, and are not taken.
    (folder / "base.html").write_text("<body>{% block main %}{% endblock %}</body>\n", encoding="utf-8")
    fresh = render.environment(templates, cache=cache)
    again = render.template_keys(fresh, Memo(), {}, offered=offered)
    assert again != keys and again == render.template_keys(render.environment(templates), Memo())
    assert fresh.get_template("page.html").render(x={"text": "a"}) == "<body>a</body>\n"
