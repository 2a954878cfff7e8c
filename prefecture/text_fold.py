"""Text folded for a search that ignores accents and case, the same in Python and in
the database (PostgreSQL's translate(); the laptop's SQLite is given one in Python,
prefecture.apps).

One character for one character, so translate() alone does it: no unaccent
extension and no upper()/lower(), whose result for non-ASCII letters depends on the
database's locale."""

import unicodedata

from django.db.models import CharField, F, Func, Value


def _fold_table() -> tuple[str, str]:
    """Each accented Latin letter (Latin-1 and Latin Extended-A) to its plain lower-case
    letter, each ASCII capital to its lower case, Œ and Æ to œ and æ."""
    source, target = [], []
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            source.append(char)
            target.append(base.lower())
    for capital in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        source.append(capital)
        target.append(capital.lower())
    source += ["Œ", "Æ"]
    target += ["œ", "æ"]
    return "".join(source), "".join(target)


FOLD_FROM, FOLD_TO = _fold_table()
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str) -> str:
    """``text`` as a search compares it: "Récépissé", "RECEPISSE" and "recepisse"
    all become "recepisse"."""
    return unicodedata.normalize("NFC", text).translate(_FOLD)


def folded(field: str) -> Func:
    """The column ``field`` folded in SQL exactly as ``fold`` folds a query."""
    return Func(
        F(field),
        Value(FOLD_FROM),
        Value(FOLD_TO),
        function="translate",
        output_field=CharField(),
    )
