"""Every user-facing string has a bg and a uk translation, with the right plural forms."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLURALS = {"bg": 2, "uk": 3}


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
