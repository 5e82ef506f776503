"""The import-caching template class behaves as Jinja's own does: imported macros render the
same, and an imported template still sees globals that only the importer had."""
from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment, TemplateSyntaxError

from gainportal.templating import ImportCachingTemplate, compile_all

TEMPLATES = {
    "macros.html": "{% macro hello(name) %}Hello {{ name }}{% endmacro %}"
                   "{% macro marking() %}{{ marking_global | default('none') }}{% endmacro %}",
    "page.html": '{% from "macros.html" import hello, marking %}{{ hello(who) }} / {{ marking() }}',
}


def _env(template_class):
    env = Environment(loader=DictLoader(TEMPLATES))
    env.template_class = template_class
    return env


def test_imports_render_as_jinja_renders_them():
    ours, jinjas = _env(ImportCachingTemplate), _env(Environment.template_class)
    for who in ("Ann", "Bob"):
        assert ours.get_template("page.html").render(who=who) == jinjas.get_template("page.html").render(who=who)
    assert ours.get_template("page.html").render(who="Ann") == "Hello Ann / none"


def test_the_imported_module_is_reused_between_renders():
    env = _env(ImportCachingTemplate)
    env.get_template("page.html").render(who="Ann")
    module = env.get_template("macros.html")._module
    env.get_template("page.html").render(who="Bob")
    assert module is not None and env.get_template("macros.html")._module is module


def test_a_global_only_the_importer_has_reaches_the_imported_macros():
    env = _env(ImportCachingTemplate)
    env.get_template("page.html").render(who="Ann")  # fills the cache with "nothing missing"
    page = env.get_template("page.html", globals={"marking_global": "OFFICIAL-SENSITIVE"})
    assert page.render(who="Ann") == "Hello Ann / OFFICIAL-SENSITIVE"


def test_a_global_added_to_the_environment_later_behaves_as_in_jinja():
    results = []
    for template_class in (ImportCachingTemplate, Environment.template_class):
        env = _env(template_class)
        first = env.get_template("page.html").render(who="Ann")
        env.globals["marking_global"] = "SECRET"
        results.append((first, env.get_template("page.html").render(who="Ann")))
    assert results[0] == results[1]


def test_compile_all_compiles_every_template_of_the_portal(app):
    env = app.jinja_env
    count = compile_all(env)
    names = env.list_templates(filter_func=lambda n: n.endswith(".html"))
    assert count == len(names) > 100
    cached = {key[1] for key in env.cache.keys()} if env.cache is not None else set()
    assert set(names) <= cached


def test_compile_all_stops_on_a_template_that_does_not_compile():
    env = _env(ImportCachingTemplate)
    env.loader = DictLoader({**TEMPLATES, "broken.html": "{% if %}"})
    with pytest.raises(TemplateSyntaxError):
        compile_all(env)
