"""Opora installed from its wheel, away from the checkout, speaks Ukrainian: the compiled translations, the seed
catalogue, the gazetteer and the migrations travel in the package."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

pytestmark = pytest.mark.e2e  # it builds and installs the package, and runs `opora`
ROOT = Path(__file__).resolve().parents[1]
# What a build reads; not bot/locales/, which the checkout compiles for itself, nor build/ left by an earlier one.
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "bot", "catalog", "locales")


def ukrainian(msgid: str) -> str:
    with (ROOT / "locales" / "uk" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return str(read_po(po)[msgid].string)


def test_opora_installed_from_its_wheel_answers_a_ukrainian_question_in_ukrainian(tmp_path):
    source, wheels, venv, home = (tmp_path / name for name in ("source", "wheels", "venv", "home"))
    source.mkdir()
    for name in SOURCES:
        if not (ROOT / name).exists():
            continue
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source)
    shutil.rmtree(source / "bot" / "locales", ignore_errors=True)
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    # As `pip install .` builds: in an isolated environment with build-system.requires (from the index or pip's cache).
    run([*pip, "wheel", "--no-deps", "--wheel-dir", wheels, source])
    (wheel,) = wheels.glob("opora-*.whl")
    shipped = zipfile.ZipFile(wheel).namelist()
    for path in ("bot/web/static/chat.html", "catalog/gazetteer/places.tsv.gz", "catalog/data/places.yaml"):
        assert path in shipped
    assert any(name.endswith("/migrations/env.py") for name in shipped)

    # A fresh virtualenv whose own site-packages holds only Opora. Installing its dependencies from PyPI takes half a
    # minute, so it sees this venv's packages as a base instead, through a .pth line (like --system-site-packages,
    # from a base that holds them): a directory named in a .pth file is only added to sys.path, its own .pth files
    # (this venv's editable Opora among them) are not run. pip then checks the wheel's dependencies against that base.
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "base.pth").write_text(
        "\n".join(dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))) + "\n"
    )
    run([*pip, "--python", python, "install", "--no-index", wheel])
    home.mkdir()
    assert run([python, "-c", "import bot; print(bot.__file__)"], cwd=home).stdout.startswith(str(site))
    opora = venv / "bin" / "opora"
    run([opora, "catalog", "load"], cwd=home)
    chat = run([opora, "chat", "--lang", "uk"], cwd=home, input="Потрібен догляд вдома для мами\n").stdout
    assert ukrainian("Where do you need it? The answer depends on the town.") in chat
    assert "Where do you need it?" not in chat

    # Without a catalogue Opora refuses to start, naming it, rather than answer in English.
    (missing := site / "bot" / "locales" / "uk" / "LC_MESSAGES" / "messages.mo").unlink()
    refused = run([opora, "chat", "--lang", "uk"], cwd=home, input="психолог\n", status=1)
    assert str(missing) in refused.stderr and not refused.stdout


def run(
    command: list[str | Path], cwd: Path | None = None, input: str | None = None, status: int = 0
) -> subprocess.CompletedProcess[str]:
    # No OPORA_* setting and no PYTHONPATH from the developer's shell: only the installed package and its defaults.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPORA_") and k != "PYTHONPATH"}
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, input=input, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == status, f"{command}: {done.stdout}\n{done.stderr}"
    return done
