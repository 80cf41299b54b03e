"""The rule registry and the @rule decorator."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from featureops.audit.registry import DuplicateRuleError, RuleNamespaceError, RuleRegistry
from featureops.audit.rule import Rule, rule

DOCS = Path(__file__).resolve().parents[3] / "docs" / "rules"


def test_decorator_reads_id_description_and_thresholds() -> None:
    @rule(severity="error", target="source", fix="Do   the\n thing.")
    def my_rule(source, ctx, *, limit: int = 3, names: tuple = ("a",)) -> str | None:
        """Sources that are
        too old.

        More detail."""
        return None

    assert isinstance(my_rule, Rule)
    assert (my_rule.id, my_rule.description, my_rule.fix) == (
        "my_rule", "Sources that are too old.", "Do the thing.")
    assert my_rule.params == {"limit": 3, "names": ("a",)}
    assert my_rule.check(object(), None, {"limit": 1, "names": ()}) is None


@pytest.mark.parametrize("kwargs", [{"severity": "fatal"}, {"target": "macro"}])
def test_decorator_validates_arguments(kwargs) -> None:
    with pytest.raises(ValueError):
        rule(fix="x", **kwargs)


def test_rule_needs_a_docstring() -> None:
    with pytest.raises(ValueError, match="needs a docstring"):
        @rule(fix="x")
        def undocumented(model, ctx):
            return None


def test_builtin_rules_each_have_a_doc_page_with_the_three_sections() -> None:
    registry = RuleRegistry.with_namespaces()
    assert len(registry) >= 20
    for item in registry:
        page = DOCS / f"{item.id}.md"
        assert page.is_file(), f"missing docs/rules/{item.id}.md"
        text = page.read_text()
        for heading in ("## Example", "## Why it matters", "## How to fix"):
            assert heading in text, f"{page.name} lacks {heading}"
        assert item.severity in text and item.target.replace("_", " ") in text.replace("_", " ")
    documented = {p.stem for p in DOCS.glob("*.md")} - {"index"}
    assert documented == set(registry.ids)
    index = (DOCS / "index.md").read_text()
    assert all(re.search(rf"\b{re.escape(i)}\b", index) for i in registry.ids)


def _user_namespace(tmp_path: Path, monkeypatch, name: str, body: str) -> str:
    (tmp_path / f"{name}.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop(name, None)
    return name


def test_user_namespace_adds_rules(tmp_path: Path, monkeypatch) -> None:
    module = _user_namespace(tmp_path, monkeypatch, "acme_rules", (
        "from featureops.audit import rule\n"
        "@rule(severity='info', target='model', fix='Rename it.')\n"
        "def model_name_has_prefix(model, ctx, *, prefixes: tuple = ('stg_',)):\n"
        "    '''Model names start with a layer prefix.'''\n"
        "    return None if model.name.startswith(tuple(prefixes)) else 'bad name'\n"))
    registry = RuleRegistry.with_namespaces([module])
    assert "model_name_has_prefix" in registry


def test_duplicate_rule_id_is_an_error(tmp_path: Path, monkeypatch) -> None:
    module = _user_namespace(tmp_path, monkeypatch, "dup_rules", (
        "from featureops.audit import rule\n"
        "@rule(fix='x')\n"
        "def model_without_tests(model, ctx):\n"
        "    '''Shadowing a built-in.'''\n"
        "    return None\n"))
    with pytest.raises(DuplicateRuleError, match="`model_without_tests` is defined twice"):
        RuleRegistry.with_namespaces([module])


def test_unimportable_namespace_is_a_one_line_error() -> None:
    with pytest.raises(RuleNamespaceError, match="`no.such.module` cannot be imported"):
        RuleRegistry.with_namespaces(["no.such.module"])
