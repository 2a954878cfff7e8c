"""Keeps the shared cache of announcements true: any save or delete clears it (admin
form, admin action, import), in every web process at once since the cache is shared."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from faq.models import Announcement
from faq.selectors import announcements_changed


@receiver(post_save, sender=Announcement)
@receiver(post_delete, sender=Announcement)
def clear_announcements(**kwargs) -> None:
    # Now, and again after the commit: in between, another process may have cached
    # the rows as they were before it.
    announcements_changed()
    transaction.on_commit(announcements_changed)
