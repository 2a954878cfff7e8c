"""Text folded for a search that ignores accents and case, the same in Python and in
the database (PostgreSQL's translate(); the laptop's SQLite is given one in Python,
prefecture.apps).

One character for one character, so translate() alone does it: no unaccent
extension and no upper()/lower(), whose result for non-ASCII letters depends on the
database's locale."""

import unicodedata

from django.db.models import CharField, F, Func, Value


def _fold_table() -> tuple[str, str]:
    """Each accented Latin letter (Latin-1, Latin Extended-A and B) to its plain
    lower-case letter, each other capital there (ASCII, Œ, Ł, Ø) to its lower case."""
    source, target = [], []
    for code in [*range(ord("A"), ord("Z") + 1), *range(0xC0, 0x250)]:
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            source.append(char)
            target.append(base.lower())
        elif len(char.lower()) == 1 and char.lower() != char:
            source.append(char)
            target.append(char.lower())
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
