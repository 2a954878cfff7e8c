"""The source strings are French: the French catalogue is them, word for word.

Run by `make messages` after makemessages (which marks near matches "fuzzy")."""

import sys

import polib

path = sys.argv[1]
catalogue = polib.pofile(path)
for entry in catalogue:
    if entry.msgid_plural:
        entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
    else:
        entry.msgstr = entry.msgid
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    entry.previous_msgid = entry.previous_msgid_plural = None
catalogue.save()
