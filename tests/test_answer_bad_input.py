"""Whatever people type, the engine answers cleanly and never raises."""

import json

import pytest
from support.answers_helpers import seed_engine
from support.opora import opora_command

BAD = [
    "",
    "   ",
    "\n",
    "x" * 10_000,
    "😀😀😀",
    "🙏",
    "\x00\x01\x02\x1b[31m",
    "'; DROP TABLE service; --",
    "\"\" '' «» „“",
    "патронаж AND OR NOT * ~ ^ ( ) [ ] { } : -",
    "%s %d {0} {name}",
    "\ud800",
    "Казанлък" * 3000,
    "?" * 500,
    "<script>alert(1)</script>",
    "ⓚⓐⓩⓐⓝⓛⓐⓚ",
    "١٢٣٤",
    "🇺🇦 🇧🇬",
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return seed_engine(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("text", BAD, ids=range(len(BAD)))
def test_bad_input_gets_a_clean_answer(engine, text):
    answer = engine.ask(text)
    assert answer.language in ("bg", "uk")
    assert answer.intent in ("search", "handoff", "greeting", "fallback", "clarify", "smalltalk")
    assert answer.results == [] or answer.intent == "search"
    json.dumps(answer.to_json())


def test_an_unrelated_question_gets_no_service(engine):
    answer = engine.ask("яка погода буде завтра в Києві")
    assert answer.intent == "out_of_scope" and answer.results == []


@pytest.mark.e2e
def test_ask_command_answers_each_line_as_json(tmp_path):
    lines = ["кой носи топъл обяд на баба в Казанлък", "", "😀", "'; DROP TABLE service; --", "x" * 10_000]
    result = opora_command(
        "ask",
        "--json",
        input="\n".join(lines) + "\n",
        env={"OPORA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/a.sqlite3", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(lines)
    assert answers[0]["intent"] == "search" and answers[0]["language"] == "bg"
    assert answers[0]["results"][0]["service_id"] == "kazanlak-home-patronage"
    assert {"question", "language", "intent", "results"} <= set(answers[0])
    location = answers[0]["results"][0]["locations"][0]
    assert {"location_id", "name", "city", "address", "phones"} <= set(location)


@pytest.mark.e2e
def test_readable_answer_is_in_the_askers_language(tmp_path):
    result = opora_command(
        "ask",
        "psykholohichna dopomoha dnipro",
        env={"OPORA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/a.sqlite3", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Знайдено" in result.stdout or "знайшла" in result.stdout
