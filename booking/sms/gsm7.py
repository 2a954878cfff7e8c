"""GSM 03.38 (GSM-7): the alphabet every phone displays, 160 characters a segment.

Text outside it switches the whole SMS to UCS-2 (70 characters a segment), so we
normalise: curly quotes, « », non-breaking spaces, â ê î ô û ç… become their plain
GSM-7 neighbours."""

import unicodedata

BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = set("^{}\\[~]|€\f")  # two septets each (escape + character)
SEGMENT_SEPTETS = 160  # one SMS; 153 each when concatenated

REPLACEMENTS = {
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "‐": "-", "‑": "-", "…": "...", "•": "-",
    "ç": "c", "œ": "oe", "Œ": "OE", "È": "E", "Ê": "E", "Ë": "E", "À": "A", "Â": "A",
    "Ù": "U", "Û": "U", "Î": "I", "Ï": "I", "Ô": "O",
}  # fmt: skip


def to_gsm7(text: str) -> str:
    """The text in GSM-7 only: known look-alikes replaced, other accents dropped,
    anything else replaced by '?'."""
    out = []
    for char in text:
        if char in BASIC or char in EXTENSION:
            out.append(char)
            continue
        if char in REPLACEMENTS:
            out.append(REPLACEMENTS[char])
            continue
        base = unicodedata.normalize("NFKD", char)
        stripped = "".join(c for c in base if not unicodedata.combining(c))
        out.append(stripped if stripped and all(c in BASIC for c in stripped) else "?")
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return all(char in BASIC or char in EXTENSION for char in text)


def septets(text: str) -> int:
    """Length in GSM-7 septets: extension characters count twice."""
    return sum(2 if char in EXTENSION else 1 for char in text)


def segments(text: str) -> int:
    """Number of SMS segments: 160 septets for one, 153 each when concatenated."""
    length = septets(text)
    return 1 if length <= SEGMENT_SEPTETS else -(-length // 153)
