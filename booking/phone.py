"""Mobile numbers, as people type them, to E.164 (shared by bookings and cards)."""

import phonenumbers

# A national number ("06…", "0690…") is tried as metropolitan France first, then as
# each overseas department or collectivity with its own country code.
NATIONAL_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF")
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


def masked(number: str) -> str:
    """A phone number fit for a log line or an agent's list: country code and last two
    digits."""
    return number[:3] + "*" * max(0, len(number) - 5) + number[-2:]
