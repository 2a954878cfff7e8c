"""Keeps the shared cache true. Whatever changes free places drops the cached lists
of free slots (booking.availability): a hold or a booking saved, a slot, démarche,
site or closure edited in the admin; bulk writes call availability.changed() themselves
(slots_generate). A démarche saved or deleted drops its cached row (the flow's)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from booking import availability, selectors
from booking.models import Booking, ClosureDay, Hold, Procedure, Site, Slot


@receiver(post_save, sender=Hold)  # no post_delete: holds are deleted with a save
@receiver(post_save, sender=Booking)
@receiver(post_delete, sender=Booking)
@receiver(post_save, sender=Slot)
@receiver(post_delete, sender=Slot)
@receiver(post_save, sender=Procedure)
@receiver(post_delete, sender=Procedure)
@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
@receiver(post_save, sender=ClosureDay)
@receiver(post_delete, sender=ClosureDay)
def free_places_changed(**kwargs) -> None:
    availability.changed()


@receiver(post_save, sender=Procedure)
@receiver(post_delete, sender=Procedure)
def procedure_changed(instance: Procedure, **kwargs) -> None:
    # Now, and again after the commit: in between, another process may have cached
    # the row as it was before.
    pk = instance.pk  # a deleted instance loses it once the signals have run
    selectors.procedure_changed(pk)
    transaction.on_commit(lambda: selectors.procedure_changed(pk))
