"""Whatever changes free places drops the API's cached list of free slots
(booking.availability): a hold or a booking saved, a slot, démarche or site edited in
the admin. Bulk writes call availability.changed() themselves (slots_generate)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from booking import availability
from booking.models import Booking, Hold, Procedure, Site, Slot


@receiver(post_save, sender=Hold)  # no post_delete: holds are deleted with a save
@receiver(post_save, sender=Booking)
@receiver(post_delete, sender=Booking)
@receiver(post_save, sender=Slot)
@receiver(post_delete, sender=Slot)
@receiver(post_save, sender=Procedure)
@receiver(post_delete, sender=Procedure)
@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
def free_places_changed(**kwargs) -> None:
    availability.changed()
