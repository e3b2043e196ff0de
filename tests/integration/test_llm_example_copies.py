"""An answer that restates the prompt's worked example (issue #18): the copied facts are dropped as rejected,
the article's real facts kept; what the example is comes from the loaded example.json."""

from __future__ import annotations

import json

from kaifaqu_llm.extract.llm.example_copies import COPIED, drop_example_copies, example_marks
from kaifaqu_llm.extract.llm.prompts import load_prompts
from kaifaqu_llm.extract.llm.salvage import salvage
from tests.conftest import make_article
from tests.support.fake_openai_server import build_profile, profile_reply
from tests.support.backend_runs import extract_one

ARTICLE = make_article()
EXAMPLE = load_prompts().example
REAL = build_profile(ARTICLE.text)  # the article's own zone and indicator


def _example_copy(extra: dict) -> dict:
    """The worked example's output, as a model echoing it would write it, plus the article's facts ``extra``."""
    answer = json.loads(json.dumps(EXAMPLE["output"], ensure_ascii=False))
    for name, items in extra.items():
        answer.setdefault(name, []).extend(items)
    return answer


def run(config):  # type: ignore[no-untyped-def]
    return extract_one(config, ARTICLE)


def test_the_examples_facts_are_dropped_the_real_one_kept(fake_server, make_config) -> None:
    real_indicator = REAL["indicators"][0]
    fake_server.push(profile_reply(_example_copy({"indicators": [real_indicator]})))
    result = run(make_config())
    assert result.error is None, result.error
    assert len(fake_server.requests) == 1  # copies are not asked for again
    assert [i.evidence for i in result.profile.indicators] == [real_indicator["evidence"]]
    assert not (result.profile.zones or result.profile.projects or result.profile.people
                or result.profile.organizations)
    copied = sum(len(v) for v in EXAMPLE["output"].values() if isinstance(v, list))
    assert len(result.rejected) == result.usage.rejected == copied
    assert {r["reason"] for r in result.rejected} == {COPIED}
    assert {r["item"]["evidence"] for r in result.rejected} == {
        f["evidence"] for v in EXAMPLE["output"].values() if isinstance(v, list) for f in v}


def test_an_answer_that_is_only_the_example_is_an_error_naming_it(fake_server, make_config) -> None:
    fake_server.push(profile_reply(_example_copy({})))
    result = run(make_config())
    assert result.profile is None and COPIED in result.error


def test_copies_are_recognised_by_their_identity_when_the_evidence_was_reworded() -> None:
    marks = example_marks(EXAMPLE)
    person = next(p for p in EXAMPLE["output"]["people"])
    reworded = {**person, "evidence": person["evidence"] + "表示"}  # not a passage of the example any more
    profile, _ = salvage({"people": [reworded]})
    kept, dropped = drop_example_copies(profile, ARTICLE.text, marks)
    assert not kept.people and dropped[0]["reason"] == COPIED


def test_an_article_that_says_what_the_example_says_keeps_its_fact() -> None:
    marks = example_marks(EXAMPLE)
    person = EXAMPLE["output"]["people"][0]
    profile, _ = salvage({"people": [person]})
    kept, dropped = drop_example_copies(profile, ARTICLE.text + person["evidence"], marks)
    assert [p.name for p in kept.people] == [person["name"]] and dropped == []


def test_the_marks_follow_the_loaded_example_not_a_fixed_text() -> None:
    other = {"input": {"text": "某甲园区今年引进企业八家，园区主任钱七到会。"},
             "output": {"people": [{"name": "钱七", "title": "园区主任", "evidence": "园区主任钱七到会"}]}}
    profile, _ = salvage({"people": [{"name": "钱七", "title": "园区主任", "evidence": "园区主任钱七到会"},
                                     EXAMPLE["output"]["people"][0]]})
    kept, dropped = drop_example_copies(profile, ARTICLE.text, example_marks(other))
    # against another example the v2 example's person is just ungrounded, not a copy
    assert [p.name for p in kept.people] == [EXAMPLE["output"]["people"][0]["name"]]
    assert [d["item"]["name"] for d in dropped] == ["钱七"]
