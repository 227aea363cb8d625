"""Build hook: compile the translation catalogues (.po -> .mo) whenever the package is built.

The metadata lives in pyproject.toml; this file only adds the compile step. The .mo files are
build products, not sources (git-ignored): committing them would mean every change to a .po
also needs its binary twin committed, and branches that each add strings would conflict on
files nobody can merge by hand. Compiling here covers every way of installing:

- `pip install .` and wheels: the .mo files are written beside their .po before package data is
  collected, so the wheel carries them (tests/ops/test_packaging.py inspects one);
- `pip install -e .` and a checkout served by gunicorn (the README's recipe, the systemd unit):
  the catalogues are compiled in place, where the checkout's package reads them.

`make translations` does the same for a developer who edits a .po without reinstalling.
"""
from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path(__file__).resolve().parent / "openday" / "translations"


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Writes LC_MESSAGES/messages.mo beside every messages.po under ``directory``."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as po:
            catalogue = read_po(po, locale=po_path.parent.parent.name)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as mo:
            write_mo(mo, catalogue, use_fuzzy=False)
        written.append(mo_path)
    return written


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        # Before super().run(): package data is globbed from the source tree when first needed.
        for mo_path in compile_catalogues():
            self.announce(f"compiled {mo_path.relative_to(TRANSLATIONS.parent.parent)}", level=2)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
