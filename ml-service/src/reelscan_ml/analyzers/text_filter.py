"""Which OCR readings are text: the rules that keep a recogniser's guesses at shapes
(a buckle read as ``B``, a cat's eye as ``0``, a texture as ``周``) out of the results.

A reading is kept when, after the letters outside the configured languages' scripts
(OCR_LANGS) are taken out, it still has ``min_text_chars`` letters or digits: what
textures, photographs and faces were misread as was one glyph or a Chinese character
in every case make bench-quality has (a lone ``0``, ``O``, ``G``, ``R``, ``B`` scored
up to 1.0, so no score rule drops them without dropping real words). RapidOCR's PP-OCR
recogniser reads Chinese and English whatever OCR_LANGS says, so a Chinese character
on English footage is a misreading; EasyOCR reads only its languages' characters.

Figures (make bench-quality): docs/quality.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

# Unicode scripts (the first word of a character's name) each EasyOCR language code is
# written in; Latin digits and punctuation are allowed in every language. A language
# not listed here restricts nothing.
_CJK = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC", "FULLWIDTH", "HALFWIDTH"})
SCRIPTS: dict[str, frozenset[str]] = {
    **{code: frozenset({"LATIN"}) for code in (
        "en", "de", "fr", "es", "it", "pt", "nl", "sv", "no", "da", "fi", "is", "pl", "cs", "sk", "sl", "hr",
        "hu", "ro", "tr", "et", "lv", "lt", "ga", "cy", "ms", "id", "tl", "vi", "af", "sq", "az", "eu", "ca",
        "sw", "uz", "oc", "mt", "la", "rs_latin")},
    **{code: frozenset({"CYRILLIC", "LATIN"}) for code in (
        "ru", "uk", "be", "bg", "mn", "rs_cyrillic", "mk", "kk", "ky", "tg", "tt", "ab", "ady", "ava", "che",
        "dar", "inh", "kbd", "lbe", "lez", "tab")},
    **{code: _CJK | {"LATIN"} for code in ("ch_sim", "ch_tra", "ja", "ko", "zh")},
    **{code: frozenset({"ARABIC", "LATIN"}) for code in ("ar", "fa", "ur", "ug")},
    **{code: frozenset({"DEVANAGARI", "LATIN"}) for code in ("hi", "mr", "ne", "bh", "mai", "ang", "bho", "mah",
                                                             "sck", "new", "gom", "sa")},
    "th": frozenset({"THAI", "LATIN"}), "ta": frozenset({"TAMIL", "LATIN"}), "te": frozenset({"TELUGU", "LATIN"}),
    "kn": frozenset({"KANNADA", "LATIN"}), "bn": frozenset({"BENGALI", "LATIN"}),
    "as": frozenset({"BENGALI", "LATIN"}),
}


def allowed_scripts(langs: Iterable[str] | None) -> frozenset[str] | None:
    """The scripts the languages are written in; None (anything goes) for no languages or
    if one is unknown."""
    if langs is None:
        return None
    scripts: set[str] = set()
    for lang in langs:
        if lang not in SCRIPTS:
            return None
        scripts |= SCRIPTS[lang]
    return frozenset(scripts)


def in_scripts(text: str, scripts: frozenset[str] | None) -> str:
    """``text`` without the letters of other scripts (digits, spaces and punctuation stay)."""
    if scripts is None:
        return text
    kept = [c for c in text if not c.isalpha() or unicodedata.name(c, "?").split(" ")[0] in scripts]
    return re.sub(r"\s+", " ", "".join(kept)).strip()


def text_filter(langs: Iterable[str] | None, min_chars: int) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """A function from a frame's readings to those that are text, each with only its
    languages' characters (any character for ``langs`` None)."""
    scripts = allowed_scripts(langs)

    def keep(readings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = []
        for reading in readings:
            text = in_scripts(reading["text"], scripts)
            if sum(c.isalnum() for c in text) >= min_chars:
                kept.append(reading | {"text": text})
        return kept

    return keep
