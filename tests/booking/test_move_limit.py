"""An appointment moves BOOKING_MAX_MOVES times at most (each move sends an SMS): the
applicant is told how many moves are left, and then that there are none."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from booking import services
from booking.errors import MoveLimitReached
from booking.models import Booking, BookingEvent, Hold, OutgoingMessage
from tests.booking.flow import slots_after, unlock_manage
from tests.factories import BookingFactory, SlotFactory

MIGRATION = ("booking", "0011_moves_and_sms_caps")


def book(slot, numero="4500000001", mobile="+33612345678") -> Booking:
    return services.booking_create(
        slot_id=slot.pk,
        procedure=slot.procedure,
        applicant=services.Applicant(
            numero_etranger=numero, last_name="Diallo", first_name="Awa", mobile=mobile
        ),
        hold_token="t",
        now=timezone.now(),
    )


def unlock(client, booking) -> str:
    return unlock_manage(client, booking)


def sms_kinds(booking) -> list[str]:
    return list(
        booking.messages.exclude(status=OutgoingMessage.Status.REFUSED)
        # The one-time codes asked to open the manage page aside.
        .exclude(kind=OutgoingMessage.Kind.BOOKING_MANAGE_CODE)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


@pytest.mark.django_db
def test_forty_moves_from_the_manage_page_end_at_the_limit_with_one_sms_each(
    client, settings
):
    assert settings.BOOKING_MAX_MOVES == 3  # the default
    booking = book(SlotFactory())
    targets = slots_after(booking, 40)
    path = unlock(client, booking)
    for target in targets:
        client.post(path + "deplacer/", {"slot": target.pk})
        client.post(path + "deplacer/", {"slot": target.pk, "confirm": "1"})
    booking.refresh_from_db()
    assert booking.move_count == 3 and booking.slot == targets[2]
    moves = booking.events.filter(kind=BookingEvent.Kind.MOVED).count()
    assert moves == 3
    # The confirmation and one SMS a move: limit + 1, nothing refused, nothing more.
    assert sms_kinds(booking) == ["booking_confirmed"] + ["booking_moved"] * 3
    # Besides, the one code asked to open the manage page.
    assert booking.messages.count() == 5
    # Past the limit the move page holds nothing (and offers nothing).
    assert not Hold.objects.exists()


@pytest.mark.django_db
def test_a_move_past_the_limit_is_refused_and_changes_nothing(settings):
    settings.BOOKING_MAX_MOVES = 2
    booking = book(SlotFactory())
    first, second, third = slots_after(booking, 3)
    for target in (first, second):
        services.booking_move(
            booking_id=booking.pk, slot_id=target.pk, hold_token="m", now=timezone.now()
        )
    with pytest.raises(MoveLimitReached):
        services.booking_move(
            booking_id=booking.pk, slot_id=third.pk, hold_token="m", now=timezone.now()
        )
    booking.refresh_from_db()
    assert (booking.slot, booking.move_count) == (second, 2)
    assert booking.events.filter(kind=BookingEvent.Kind.MOVED).count() == 2
    assert booking.messages.count() == 3
    # Confirming the same slot again (a double submit) is not a move.
    services.booking_move(
        booking_id=booking.pk, slot_id=second.pk, hold_token="m", now=timezone.now()
    )
    booking.refresh_from_db()
    assert booking.move_count == 2


@pytest.mark.django_db
def test_the_pages_say_how_many_moves_are_left_then_that_none_are(client, settings):
    settings.BOOKING_MAX_MOVES = 2
    booking = BookingFactory(numero_etranger="2008006503")
    first, second = slots_after(booking, 2)
    path = unlock(client, booking)
    page = client.get(path).content.decode()
    assert "Vous pouvez encore déplacer ce rendez-vous 2 fois." in page
    assert path + "deplacer/" in page
    page = client.get(path + "deplacer/").content.decode()
    assert "Vous pouvez encore déplacer ce rendez-vous 2 fois." in page
    page = client.post(path + "deplacer/", {"slot": first.pk}).content.decode()
    assert "Confirmer le nouveau créneau ?" in page
    assert "Vous pouvez encore déplacer ce rendez-vous 2 fois." in page
    client.post(path + "deplacer/", {"slot": first.pk, "confirm": "1"})
    page = client.get(path).content.decode()
    assert "Vous pouvez encore déplacer ce rendez-vous 1 fois." in page
    client.post(path + "deplacer/", {"slot": second.pk})
    page = client.post(
        path + "deplacer/", {"slot": second.pk, "confirm": "1"}, follow=True
    ).content.decode()
    assert "Votre rendez-vous est déplacé." in page
    assert "Ce rendez-vous a déjà été déplacé 2 fois" in page
    assert "ne peut plus être déplacé en ligne" in page
    assert path + "deplacer/" not in page  # no move button
    assert path + "annuler/" in page  # cancelling stays possible
    response = client.get(path + "deplacer/")
    assert response.status_code == 302 and response["Location"] == path
    assert not Hold.objects.exists()


@pytest.mark.django_db
def test_after_the_last_move_the_applicant_and_the_agents_can_still_cancel(settings):
    settings.BOOKING_MAX_MOVES = 1
    booking = book(SlotFactory())
    (target,) = slots_after(booking, 1)
    services.booking_move(
        booking_id=booking.pk, slot_id=target.pk, hold_token="m", now=timezone.now()
    )
    cancelled = services.booking_cancel(booking_id=booking.pk, now=timezone.now())
    assert cancelled.status == Booking.Status.CANCELLED
    other = book(SlotFactory(), numero="4500000002")
    (target,) = slots_after(other, 1)
    services.booking_move(
        booking_id=other.pk, slot_id=target.pk, hold_token="n", now=timezone.now()
    )
    services.booking_cancel(booking_id=other.pk, now=timezone.now(), by="agent")
    other.refresh_from_db()
    assert other.status == Booking.Status.CANCELLED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_moves_of_one_booking_stop_at_the_limit(settings):
    settings.BOOKING_MAX_MOVES = 1
    booking = book(SlotFactory())
    targets = slots_after(booking, 8)
    barrier = threading.Barrier(len(targets))
    outcomes: list = []

    def move(slot_id: int) -> None:
        try:
            barrier.wait()
            services.booking_move(
                booking_id=booking.pk,
                slot_id=slot_id,
                hold_token=f"m{slot_id}",
                now=timezone.now(),
            )
            outcomes.append("moved")
        except MoveLimitReached:
            outcomes.append("refused")
        except Exception as error:  # the outcome is what the test inspects
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(t.pk,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved"] + ["refused"] * 7
    booking.refresh_from_db()
    assert booking.move_count == 1
    assert sms_kinds(booking) == ["booking_confirmed", "booking_moved"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_is_reversible():
    executor = MigrationExecutor(connection)
    migration = executor.loader.get_migration(*MIGRATION)
    before = [dep for dep in migration.dependencies if dep[0] == "booking"]
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)
        with connection.cursor() as cursor:
            columns = [
                column.name
                for column in connection.introspection.get_table_description(
                    cursor, "booking_booking"
                )
            ]
        assert "move_count" not in columns
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
    with connection.cursor() as cursor:
        columns = [
            column.name
            for column in connection.introspection.get_table_description(
                cursor, "booking_booking"
            )
        ]
    assert "move_count" in columns


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_agent_cancelling_while_the_applicant_moves_cancels_the_moved_booking():
    booking = book(SlotFactory())
    (target,) = slots_after(booking, 1)
    locked = threading.Event()
    outcome: list = []

    def move_slowly() -> None:
        # The applicant's move holds the booking's row while the agent cancels.
        try:
            with transaction.atomic():
                row = Booking.objects.select_for_update().get(pk=booking.pk)
                locked.set()
                time.sleep(0.5)
                row.slot = target
                row.save(update_fields=["slot", "updated_at"])
        finally:
            connection.close()

    def cancel() -> None:
        locked.wait()
        try:
            services.booking_cancel(
                booking_id=booking.pk, now=timezone.now(), by="agent.x"
            )
            outcome.append("cancelled")
        except Exception as error:  # the outcome is what the test inspects
            outcome.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=move_slowly), threading.Thread(target=cancel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcome == ["cancelled"]
    booking.refresh_from_db()
    assert (booking.status, booking.slot_id) == (Booking.Status.CANCELLED, target.pk)


@pytest.mark.django_db
def test_cancelling_frees_the_place_held_for_a_move():
    """Found by the applicant's walk: a place chosen on the move page stayed held
    ten minutes after the appointment was cancelled."""
    booking = book(SlotFactory())
    [target] = slots_after(booking, 1)
    services.hold_place(
        slot_id=target.pk,
        procedure=booking.procedure,
        client_ip="192.0.2.1",
        now=timezone.now(),
        booking_id=booking.pk,
    )
    assert Hold.objects.filter(booking=booking).exists()
    services.booking_cancel(booking_id=booking.pk, now=timezone.now())
    assert not Hold.objects.filter(booking=booking).exists()
