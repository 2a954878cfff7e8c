"""CONTRACT: `demarche_mode SLUG direct|liste|mixte [--part N]`."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from booking import selectors
from booking.models import Procedure, Slot, WaitingMode
from tests.factories import ProcedureFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def future_slots(renewal):
    start = timezone.now() + timedelta(days=2)
    return [
        SlotFactory(procedure=renewal, starts_at=start + timedelta(hours=n))
        for n in range(10)
    ]


def kept(procedure: Procedure) -> int:
    return Slot.objects.filter(procedure=procedure, via_list=True).count()


def test_liste_keeps_every_future_slot_for_the_list(renewal, future_slots, capsys):
    past = SlotFactory(procedure=renewal, starts_at=timezone.now() - timedelta(days=1))
    call_command("demarche_mode", "renouvellement", "liste")
    renewal.refresh_from_db()
    assert renewal.waiting_mode == WaitingMode.LIST
    assert kept(renewal) == 10
    past.refresh_from_db()
    assert not past.via_list  # the past is left as it was
    out = capsys.readouterr().out
    assert out.strip() == (
        "renouvellement: liste, every place offered through the waiting list; "
        "10 of 10 future slots kept for the list"
    )


def test_mixte_keeps_its_share_and_direct_gives_everything_back(
    renewal, future_slots, capsys
):
    call_command("demarche_mode", "renouvellement", "mixte", "--part", "30")
    renewal.refresh_from_db()
    assert (renewal.waiting_mode, renewal.waiting_share) == ("mixte", 30)
    assert kept(renewal) == 3
    assert "3 of 10 future slots kept for the list" in capsys.readouterr().out
    call_command("demarche_mode", "renouvellement", "direct")
    renewal.refresh_from_db()
    assert (renewal.waiting_mode, renewal.waiting_share) == ("direct", 0)
    assert kept(renewal) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["inconnue", "liste"], "no démarche 'inconnue'"),
        (["renouvellement", "mixte"], "mixte needs --part N"),
        (["renouvellement", "mixte", "--part", "0"], "between 1 and 100, not 0"),
        (["renouvellement", "mixte", "--part", "101"], "between 1 and 100, not 101"),
        (["renouvellement", "liste", "--part", "30"], "--part goes with mixte only"),
        (["renouvellement", "file"], "invalid choice: 'file'"),
        (["renouvellement", "mixte", "--part", "dix"], "invalid int value"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_changes(
    renewal, future_slots, args, message
):
    with pytest.raises(CommandError, match=message):
        call_command("demarche_mode", *args)
    renewal.refresh_from_db()
    assert renewal.waiting_mode == WaitingMode.DIRECT and kept(renewal) == 0


def test_a_demarche_without_places_of_its_own_is_refused(renewal):
    ProcedureFactory(slug="changement-de-statut", booking_procedure=renewal)
    ProcedureFactory(
        slug="duplicata",
        channel=Procedure.ChannelChoice.ONLINE,
        external_url="https://example.org/",
    )
    with pytest.raises(CommandError, match="set the mode of renouvellement instead"):
        call_command("demarche_mode", "changement-de-statut", "liste")
    with pytest.raises(CommandError, match="no places to give"):
        call_command("demarche_mode", "duplicata", "liste")
    assert not Procedure.objects.exclude(waiting_mode=WaitingMode.DIRECT).exists()


def test_the_shell_sees_a_non_zero_exit():
    """From the command line, run_from_argv exits with the error's return code."""
    with pytest.raises(CommandError) as refused:
        call_command("demarche_mode", "inconnue", "liste")
    assert refused.value.returncode == 1


def test_the_demo_has_a_demarche_in_liste_mode_and_renewal_stays_bookable(capsys):
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    listed = Procedure.objects.get(slug="renouvellement-liste")
    renewal = Procedure.objects.get(slug="renouvellement")
    assert listed.waiting_mode == WaitingMode.LIST
    assert renewal.waiting_mode == WaitingMode.DIRECT
    slots = Slot.objects.filter(procedure=listed)
    assert slots.exists() and not slots.filter(via_list=False).exists()
    now = timezone.now()
    assert not selectors.slot_list_open(procedure=listed, now=now).exists()
    assert selectors.slot_list_open(procedure=renewal, now=now).exists()
    out = capsys.readouterr().out
    assert "'renouvellement-liste' gives every place through the waiting list" in out
    assert "/admin/booking/waitingrequest/" in out


def test_the_demo_keeps_the_mode_agents_set(capsys):
    call_command("seed_demo")
    call_command("demarche_mode", "renouvellement-liste", "mixte", "--part", "50")
    call_command("seed_demo")
    listed = Procedure.objects.get(slug="renouvellement-liste")
    assert (listed.waiting_mode, listed.waiting_share) == ("mixte", 50)
