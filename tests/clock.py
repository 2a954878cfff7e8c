"""The préfecture's time zone, for the literal times tests write: the settings'
TIME_ZONE default, which is what the tests run with."""

from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
