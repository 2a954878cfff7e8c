from functools import partial

from django.utils import timezone

from faq.selectors import announcement_list_active


def announcements(request):
    # A callable: the template calls it only where it shows announcements (one query),
    # so admin pages and JSON views pay nothing.
    return {
        "active_announcements": partial(announcement_list_active, now=timezone.now())
    }
