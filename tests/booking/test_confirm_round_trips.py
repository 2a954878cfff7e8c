"""The confirm POST's round trips to PostgreSQL and Redis, pinned: the rush's
cheapest step keeps every invariant (the slot's lock, its capacity, one active
booking per numéro, the outbox rows, the audit event) in this many and no more. A
change that adds one fails here; one that removes one updates the numbers."""

import pytest
from django.http import HttpResponse

from booking.models import Booking, BookingEvent, OutgoingMessage
from booking.services import outbox
from tests.booking.flow import CONTACT, hold, solved_proof
from tests.redis_cache import on_redis_as_production
from tests.round_trips import counted_round_trips

pytestmark = [pytest.mark.django_db, pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def on_redis(settings):
    """The cache and the sessions on Redis, as production has them."""
    with on_redis_as_production(settings, "test-confirm"):
        yield


def _confirm(client, renewal, slot, title, after_commit, *, proof: bool):
    hold(client, renewal, slot)
    page = client.get("/rendez-vous/coordonnees/").content.decode()
    data = {**CONTACT, "proof": solved_proof(page)} if proof else CONTACT
    with counted_round_trips() as trips, after_commit() as callbacks:
        response = client.post("/rendez-vous/coordonnees/", data)
    # After the commit, not counted above: the two messages published to the worker
    # in one task, once the response is sent (prefecture.after_response). The availability version moves once a transaction, after its
    # commit: here the test's own transaction already has that move due (its
    # fixtures changed places); test_page_round_trips, whose requests commit, shows
    # the confirm's own (its one INCR after the commit).
    assert [(c.func.__name__, c.args[0].func.__name__) for c in callbacks] == [
        ("after_response", "publish")
    ]
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/rendez-vous/confirme/"
    booking = Booking.objects.get()
    assert booking.events.filter(kind=BookingEvent.Kind.CREATED).exists()
    assert set(booking.messages.values_list("channel", flat=True)) == {
        OutgoingMessage.Channel.SMS,
        OutgoingMessage.Channel.EMAIL,
    }
    return trips


def test_confirm_post_round_trips_with_a_proof_of_work(
    client, renewal, slot, title, on_redis, django_capture_on_commit_callbacks
):
    trips = _confirm(
        client, renewal, slot, title, django_capture_on_commit_callbacks, proof=True
    )
    # SQL, inside the transaction (its savepoint here, BEGIN and COMMIT in
    # production): one query message for the slot's row locked, then the numéro's
    # and the mobile's locks with the booking's id drawn, then every check; then one
    # statement for the booking, its history row, the holds deleted, the event and
    # both outbox rows.
    # Redis: the session read with the démarches' version and the announcements
    # (one MGET, the démarche kept in the process), the attempt counters (one
    # pipeline), the proof's single use (SET NX), the session write (SET XX); the
    # availability version moves after the commit (above), not under the lock.
    assert (len(trips.sql), len(trips.redis)) == (4, 4), str(trips)


def test_confirm_post_round_trips_antibot_off(
    client, renewal, slot, title, on_redis, settings, django_capture_on_commit_callbacks
):
    settings.ANTIBOT = False
    settings.ALTCHA_VERIFICATION_ENABLED = False
    trips = _confirm(
        client, renewal, slot, title, django_capture_on_commit_callbacks, proof=False
    )
    # The bench's conditions: no attempt counters, no proof.
    assert (len(trips.sql), len(trips.redis)) == (4, 2), str(trips)


@pytest.mark.django_db(transaction=True)
def test_a_confirm_publishes_its_messages_when_its_response_closes(
    client, renewal, slot, title, monkeypatch, settings
):
    """The whole flow through the test client (which closes each response as a WSGI
    server does): the confirm's publish comes after the response was built, and it
    does come."""
    # Whatever the hour the suite runs at: in the SMS quiet hours (from 21:00,
    # Paris time) the SMS waits for the morning and only the e-mail is published.
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL
    order = []
    published = []
    monkeypatch.setattr(
        outbox.send_sms_batch, "delay", lambda ids: published.append(ids)
    )
    real_close = HttpResponse.close

    def close(response):
        order.append(f"closing, {len(published)} published")
        real_close(response)
        order.append(f"published {len(published)}")

    hold(client, renewal, slot)
    monkeypatch.setattr(HttpResponse, "close", close)
    response = client.post("/rendez-vous/coordonnees/", CONTACT)
    assert response.status_code == 302
    assert order == ["closing, 0 published", "published 1"]
    assert len(published[0]) == 2  # the SMS and the e-mail, one task
