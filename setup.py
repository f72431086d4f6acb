"""Only a build hook (the rest is in pyproject.toml): the wheel carries the translations compiled, from
locales/<lang>/LC_MESSAGES/messages.po to bot/locales/<lang>/LC_MESSAGES/messages.mo, read by bot/core/i18n.py."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithTranslations(build_py):
    def run(self) -> None:
        super().run()
        # An editable install reads the package from the checkout, so the catalogues go there (as `make install` does).
        target = ROOT / "bot" / "locales" if self.editable_mode else Path(self.build_lib) / "bot" / "locales"
        for po in sorted((ROOT / "locales").glob("*/LC_MESSAGES/messages.po")):
            mo = target / po.relative_to(ROOT / "locales").with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source, mo.open("wb") as compiled:
                write_mo(compiled, read_po(source))  # fuzzy entries left out, as `pybabel compile` does


setup(cmdclass={"build_py": BuildWithTranslations})
