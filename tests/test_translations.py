"""Every user-facing string has a bg and a uk translation, with the right plural forms."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLURALS = {"bg": 2, "uk": 3}
TRANSLATORS = ("_", "N_", "plural")


def extracted_ids(tmp_path: Path) -> set:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "ngettext:1,2",
            "-k",
            "plural:1,2",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return {m.id for m in read_po(pot.open("rb")) if m.id}


@pytest.mark.parametrize("lang", ["bg", "uk"])
def test_every_message_in_the_code_is_translated(lang, tmp_path):
    catalog = read_po((ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb"))
    assert catalog.num_plurals == PLURALS[lang]
    translated = {m.id: m.string for m in catalog if m.id}
    missing = []
    for msgid in sorted(extracted_ids(tmp_path), key=str):
        string = translated.get(msgid)
        forms = string if isinstance(msgid, tuple) else (string,)
        if string is None or not all(forms) or (isinstance(msgid, tuple) and len(forms) != PLURALS[lang]):
            missing.append(msgid)
    assert missing == [], f"untranslated in {lang}: {missing}"


def test_no_string_to_translate_hides_inside_an_f_string():
    """The extractor does not look inside f-strings: `f"{_('Thanks')} …"` would reach people untranslated."""
    import ast

    hidden = []
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "catalog").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                for call in ast.walk(node):
                    if (
                        isinstance(call, ast.Call)
                        and (getattr(call.func, "id", None) or getattr(call.func, "attr", None))
                        in ("_", "N_", "plural")
                        and call.args
                        and isinstance(call.args[0], ast.Constant)
                    ):
                        hidden.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert hidden == []
