"""A site's name in the SMS: how much room the texts leave it (``sms.texts``), for the
admin, which never talks to sms/ itself."""

from booking.models import Site
from booking.sms import gsm7, texts


def site_sms_name_room() -> int:
    """How many characters (GSM-7 septets) a site's SMS name may have so that every
    SMS, in every language, keeps it whole with the longest manage link."""
    return texts.site_name_room()


def site_sms_name_length(*, name: str, sms_name: str) -> int:
    """How many septets the site's name takes in an SMS: its SMS name, or else its
    name (as ``Site.short_name`` chooses)."""
    return gsm7.septets(gsm7.to_gsm7(Site(name=name, sms_name=sms_name).short_name))
