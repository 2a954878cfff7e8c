"""French and English catalogues: complete, compiled, and in step with the code."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["fr", "en"]
SOURCES = ["manage.py", "prefecture", "faq", "booking", "templates", "locale"]


def catalogue(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


def messages(entries) -> dict:
    return {
        (entry.msgctxt, entry.msgid): entry.msgstr or dict(entry.msgstr_plural)
        for entry in entries
        if entry.msgid
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    po = polib.pofile(catalogue(language))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    po = polib.pofile(catalogue(language))
    mo = polib.mofile(catalogue(language).with_suffix(".mo"))
    assert messages(mo) == messages(po.translated_entries()), (
        "run `make messages` and commit the .mo files"
    )


def test_catalogues_cover_every_translatable_string_in_the_code(tmp_path):
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is missing: `apt-get install gettext` (.ci/run does)")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, tmp_path / name, ignore=shutil.ignore_patterns("*.mo")
            )
        else:
            shutil.copy(source, tmp_path / name)
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po")
    committed = polib.pofile(catalogue("en"))
    assert {e.msgid for e in fresh} == {e.msgid for e in committed}, (
        "run `make messages`, translate, and commit"
    )
