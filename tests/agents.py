"""Logging an agent into the admin in tests: password and second factor both passed."""

from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def login_agent(client: Client, user) -> Client:
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "test"}
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def login_role(client: Client, role: str) -> Client:
    """A new agent in one of the groups the migration creates, logged in."""
    user = User.objects.create_user(f"agent-{role}", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return login_agent(client, user)
