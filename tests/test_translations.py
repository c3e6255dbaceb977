"""Every interface string has its English translation, so switching language never shows Russian leftovers."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).parent.parent


def test_the_english_catalog_translates_every_interface_string(tmp_path):
    template = tmp_path / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l"]
    subprocess.run([*command, "-o", str(template), "mes_web", "templates"], cwd=ROOT, check=True, capture_output=True)
    with template.open("rb") as pot, (ROOT / "mes_web/translations/en/LC_MESSAGES/messages.po").open("rb") as po:
        wanted = {message.id for message in read_po(pot) if message.id}
        english = {message.id: message.string for message in read_po(po) if message.id}
    untranslated = sorted(msgid for msgid in wanted if not english.get(msgid))
    assert untranslated == []
