import pytest

from booking.phone import InvalidPhone, NotAMobile, normalize_mobile


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("07.81.23.45.67", "+33781234567"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("0690 12 34 56", "+590690123456"),  # Guadeloupe
        ("0696 12 34 56", "+596696123456"),  # Martinique
        ("0692 12 34 56", "+262692123456"),  # La Réunion
        ("+44 7911 123456", "+447911123456"),
        ("+213 551 23 45 67", "+213551234567"),
    ],
)
def test_mobiles_in_any_notation_become_e164(typed, e164):
    assert normalize_mobile(typed) == e164


@pytest.mark.parametrize(
    "typed", ["01 23 45 67 89", "02 38 12 34 56", "+44 20 7946 0958"]
)
def test_landlines_are_refused(typed):
    with pytest.raises(NotAMobile):
        normalize_mobile(typed)


@pytest.mark.parametrize(
    "typed", ["", "12", "06 12", "abcdefghij", "+", "0" * 40, "🙂"]
)
def test_garbage_is_refused(typed):
    with pytest.raises(InvalidPhone):
        normalize_mobile(typed)
