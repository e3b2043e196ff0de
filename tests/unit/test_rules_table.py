"""Tests generated from the rule table (kaifaqu_llm/extract/rules/lexicons/rules.json).

Every example sentence of every rule becomes a test: what it ``finds`` is found, what it ``misses``
is not; and with the rule switched off by name, at least one thing it finds is lost (the name is
wired to the code it names).
"""

import pytest

from kaifaqu_llm.core.document import Article
from kaifaqu_llm.extract.rules.backend import extract_rules
from kaifaqu_llm.extract.rules.registry import (
    RULES_ENV, all_rules, lexicon, lexicon_map, parse_rule_names, rule, rules_off,
)

RULES = all_rules()
# a rule that only keeps things out (indicators.project-figures) shows its work by what appears when it is off
POSITIVE = [(r, e) for r in RULES for e in r.examples if e.finds or not any(x.finds for x in r.examples)]
ALL = [(r, e) for r in RULES for e in r.examples]


def _found(category: str, text: str, off=()) -> set[str]:
    """Return the strings a profile of ``text`` shows for ``category`` (names, values with units, dates)."""
    article = Article(source="example.txt", index=0, title=None, text=text, start=0, end=len(text))
    facts = getattr(extract_rules(article, rules_off=off), category)
    out: set[str] = set()
    for fact in facts:
        for key in ("name", "mention", "date", "what", "change"):
            if getattr(fact, key, None):
                out.add(getattr(fact, key))
        if category == "indicators":
            out.add(f"{fact.value_text}{fact.unit}")
    return out


def _id(pair) -> str:
    r, e = pair
    return f"{r.name}:{e.text[:12]}"


@pytest.mark.parametrize("rule_, example", ALL, ids=[_id(p) for p in ALL])
def test_example(rule_, example):
    found = _found(rule_.category, example.text)
    assert set(example.finds) <= found, (example.text, found)
    assert not set(example.misses) & found, (example.text, found)


@pytest.mark.parametrize("rule_, example", POSITIVE, ids=[_id(p) for p in POSITIVE])
def test_switching_the_rule_off_loses_what_it_finds(rule_, example):
    found = _found(rule_.category, example.text, off=(rule_.name,))
    if example.finds:
        assert not set(example.finds) <= found, (rule_.name, example.text, found)
    else:
        assert set(example.misses) & found, (rule_.name, example.text, found)


def _is_map(name: str) -> bool:
    """True for a lexicon kept as a .tsv map (a word and its kind), not a plain word list."""
    from importlib import resources

    return (resources.files("kaifaqu_llm.extract.rules") / "lexicons" / f"{name}.tsv").is_file()


def test_every_rule_has_a_summary_a_known_category_and_an_example():
    categories = {"zones", "organizations", "people", "projects", "indicators", "events", "industries"}
    assert len({r.name for r in RULES}) == len(RULES)
    for r in RULES:
        assert r.category in categories and r.summary, r.name
        assert r.examples, r.name
        for name in r.lexicons:
            assert lexicon_map(name) if _is_map(name) else lexicon(name)


def test_unknown_names_fail_loudly():
    with pytest.raises(KeyError, match="no-such-rule"):
        rule("no-such-rule")
    with pytest.raises(ValueError, match="no-such-rule"):
        parse_rule_names("org.suffix,no-such-rule")
    assert parse_rule_names(" org.suffix , people.shared-role") == {"org.suffix", "people.shared-role"}


def test_the_environment_switches_rules_off(monkeypatch):
    text = "园区与青松新材料科技有限公司签署了合作协议。"
    assert "青松新材料科技有限公司" in _found("organizations", text)
    monkeypatch.setenv(RULES_ENV, "org.suffix")
    assert "青松新材料科技有限公司" not in _found("organizations", text)
    with rules_off(()):  # the environment still counts inside an explicit block
        assert not rule("org.suffix").on
    monkeypatch.delenv(RULES_ENV)
    assert rule("org.suffix").on


def test_lexicons_are_data_files():
    assert lexicon_map("org_suffixes")["有限公司"] == "企业"
    assert {"书记", "董事长", "院士"} <= set(lexicon("roles"))
    assert all("#" not in entry for entry in lexicon("roles"))


def test_extract_rules_off_option_and_cli_flag(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    from kaifaqu_llm import ExtractOptions, extract
    from kaifaqu_llm.core.errors import ConfigError

    page = tmp_path / "p.txt"
    page.write_text("园区动态\n园区与青松新材料科技有限公司签署了合作协议，青松新材料科技有限公司将投资建厂。\n", encoding="utf-8")
    names = lambda records: {o["name"] for r in records for o in r["organizations"]}  # noqa: E731
    assert "青松新材料科技有限公司" in names(extract([page], backend="rules").records)
    assert not names(extract([page], options=ExtractOptions(backend="rules", rules_off=("org.suffix",))).records)
    with pytest.raises(ConfigError, match="no-such-rule"):
        ExtractOptions(rules_off=("no-such-rule",))
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-m", "kaifaqu_llm", "extract", str(page), "-o", str(tmp_path / "out"),
                          "--backend", "rules", "--rules-off", "org.suffix", "-q"], cwd=root,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = (tmp_path / "out" / "profiles.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines and not names(json.loads(line) for line in lines)


def test_ablation_reports_what_each_rule_is_worth(tmp_path):
    from pathlib import Path

    from kaifaqu_llm.evaluate.ablation import ablate_rules, format_ablation
    from kaifaqu_llm.evaluate.gold import load_gold

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "pages").mkdir()
    page = sorted((root / "seeds").glob("*.txt"))[0]
    (tmp_path / "pages" / page.name).write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    gold = {k: v for k, v in load_gold(root / "tests" / "gold").items() if k == page.name}
    result = ablate_rules(gold, tmp_path / "pages", names=("people.role-before-name", "industries.single"))
    assert set(result["rules"]) == {"people.role-before-name", "industries.single"}
    assert result["rules"]["people.role-before-name"]["people"] > 0  # the one rule that finds people
    assert "people.role-before-name" in format_ablation(result)


def test_eval_lists_the_rules_without_gold():
    import subprocess
    import sys
    from pathlib import Path

    run = subprocess.run([sys.executable, "-m", "kaifaqu_llm", "eval", "--list-rules"],
                         cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 0, run.stderr
    listed = [line.split()[0] for line in run.stdout.splitlines() if line.strip()]
    assert listed == [r.name for r in RULES]
