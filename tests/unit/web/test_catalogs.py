"""Every string the pages show has a zh-CN translation."""

import re
from pathlib import Path

from careline.web.i18n import catalog, pick_language
from careline.web.paths import TEMPLATES

SRC = Path(__file__).parents[3] / "src" / "careline"
_IN_TEMPLATE = re.compile(r"""_\(\s*(["'])(.+?)\1""")
_IN_PYTHON = re.compile(r"""gettext\(\s*\w+\s*,\s*(["'])(.+?)\1""")


def _template_strings() -> set[str]:
    found: set[str] = set()
    for path in TEMPLATES.rglob("*.html"):
        found.update(m.group(2) for m in _IN_TEMPLATE.finditer(path.read_text("utf-8")))
    for path in SRC.rglob("*.py"):
        found.update(m.group(2) for m in _IN_PYTHON.finditer(path.read_text("utf-8")))
    return found


def test_every_page_string_has_a_chinese_translation() -> None:
    translations = catalog("zh-CN")
    missing = sorted(s for s in _template_strings() if s not in translations)
    assert not missing, f"strings without zh-CN translation: {missing}"


def test_english_is_the_msgid_itself() -> None:
    assert catalog("en") == {}


def test_language_choice_falls_back_to_chinese() -> None:
    assert pick_language(None, "fr") == "zh-CN"
    assert pick_language("en-US,en;q=0.9") == "en"
    assert pick_language("zh-TW") == "zh-CN"


def test_no_two_catalogs_translate_the_same_text_differently() -> None:
    from babel.messages.pofile import read_po

    from careline.web.i18n import LOCALES

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po_file in sorted((LOCALES / "zh_CN").glob("*.po")):
        with po_file.open("rb") as handle:
            for message in read_po(handle):
                if not message.id or not message.string:
                    continue
                msgid, text = str(message.id), str(message.string)
                if msgid in seen and seen[msgid][1] != text:
                    clashes.append(f"{msgid!r}: {seen[msgid][0]} vs {po_file.name}")
                seen.setdefault(msgid, (po_file.name, text))
    assert not clashes, clashes
