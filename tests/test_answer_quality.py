"""The labelled evaluation set: top-1, top-3 and intent accuracy, printed and asserted."""

from collections import Counter
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import seed_engine

QUESTIONS = YAML(typ="safe").load((Path(__file__).parent / "data" / "questions.yaml").read_text(encoding="utf-8"))["questions"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return seed_engine(tmp_path_factory.mktemp("answers"))


def test_the_evaluation_set_is_big_and_balanced():
    languages = Counter(q["lang"] for q in QUESTIONS)
    assert len(QUESTIONS) >= 200
    assert abs(languages["bg"] - languages["uk"]) <= len(QUESTIONS) * 0.1
    assert len({q["q"] for q in QUESTIONS}) == len(QUESTIONS)


def test_every_expected_service_exists(engine):
    known = {doc.id for doc in engine.index.services}
    assert {s for q in QUESTIONS for s in q["expect"]} - known == set()


def measure(engine, questions):
    top1 = top3 = intents = languages = searches = 0
    misses = []
    for q in questions:
        answer = engine.ask(q["q"])
        intents += answer.intent == q["intent"]
        languages += answer.language == q["lang"]
        found = [r.service_id for r in answer.results] if answer.intent == "search" else []
        if q["intent"] == "search":
            searches += 1
            top1 += bool(found[:1]) and found[0] in q["expect"]
            top3 += any(s in q["expect"] for s in found[:3])
        if answer.intent != q["intent"] or (q["intent"] == "search" and not (found[:1] and found[0] in q["expect"])):
            misses.append(f"{q['q']!r}: {answer.intent} {found[:3]} expected {q['intent']} {q['expect']}")
    n = len(questions)
    return {"n": n, "searches": searches, "top1": top1 / searches, "top3": top3 / searches,
            "intent": intents / n, "language": languages / n}, misses


def test_answer_quality(engine):
    figures, misses = measure(engine, QUESTIONS)
    # The tagged questions were written by someone who never saw the engine: the fairer figure.
    unseen, _ = measure(engine, [q for q in QUESTIONS if q.get("tags")])
    for name, f in (("all", figures), ("written without seeing the engine", unseen)):
        print(f"\n{name}: questions {f['n']}, search {f['searches']}: top-1 {f['top1']:.1%}, "
              f"top-3 {f['top3']:.1%}, intent {f['intent']:.1%}, language {f['language']:.1%}")
    print("\n".join(misses))
    assert figures["top1"] >= 0.90
    assert figures["top3"] >= 0.97
    assert figures["intent"] >= 0.95
    assert figures["language"] >= 0.95
