"""Mobile numbers, as people type them, to E.164 (shared by bookings and cards)."""

from collections.abc import Iterable

import phonenumbers

# A national number ("06…", "0690…") is tried as metropolitan France first, then as
# each overseas department or collectivity with its own country code.
NATIONAL_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF")
# Every French number, mainland and overseas (phonenumbers' regions): the
# departments and collectivities above, and Wallis-et-Futuna, New Caledonia and French
# Polynesia. The Comoros (+269) are not French: Mayotte is +262 269 / +262 639.
FRENCH_REGIONS = (*NATIONAL_REGIONS, "WF", "NC", "PF")
MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class InvalidPhone(ValueError):
    """Not a telephone number."""


class NotAMobile(InvalidPhone):
    """A real number, but a landline (or a service number): it cannot receive SMS."""


def normalize_mobile(raw: str) -> str:
    """A mobile number in any French or international notation, as E.164 (+33612345678);
    raises InvalidPhone, or NotAMobile for a landline."""
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text or len(text) > 32:
        raise InvalidPhone(raw)
    regions = (None,) if text.startswith("+") else NATIONAL_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            if phonenumbers.number_type(number) not in MOBILE_TYPES:
                raise NotAMobile(raw)
            return phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.E164
            )
    raise InvalidPhone(raw)


def region_of(number: str) -> str | None:
    """The region (ISO 3166 code, as phonenumbers names it) of an E.164 number, or
    None when it names none."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed)


def is_in_regions(number: str, regions: Iterable[str]) -> bool:
    """Whether an E.164 number belongs to one of ``regions``; "*" is any number."""
    allowed = set(regions)
    return "*" in allowed or region_of(number) in allowed


def masked(number: str) -> str:
    """A phone number fit for a log line or an agent's list: country code and last two
    digits."""
    return number[:3] + "*" * max(0, len(number) - 5) + number[-2:]
