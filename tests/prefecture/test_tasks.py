from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from prefecture.tasks import clear_expired_sessions


@pytest.mark.django_db
def test_clear_expired_sessions_deletes_only_expired_ones():
    now = timezone.now()
    Session.objects.create(
        session_key="a" * 32, session_data="", expire_date=now - timedelta(minutes=1)
    )
    Session.objects.create(
        session_key="b" * 32, session_data="", expire_date=now + timedelta(hours=1)
    )
    clear_expired_sessions.delay()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]
