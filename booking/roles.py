"""The agents' roles, as Django groups and permissions (created by a migration)."""

from django.db.models import Q

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = (VIEW, ADD, CHANGE, DELETE)

ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    # The front desk: the day's appointments, check-in, the collection desk.
    "accueil": {
        "booking.booking": (VIEW, CHANGE),
        "booking.card": (VIEW,),
        "booking.outgoingmessage": (VIEW,),
        "booking.site": (VIEW,),
        "booking.slot": (VIEW,),
        "booking.procedure": (VIEW,),
        "booking.closureday": (VIEW,),
        # The waiting list: read (a person asks where they stand).
        "booking.waitingrequest": (VIEW,),
        "extra": ("booking.hand_over_card",),
    },
    # Case handling: cards produced and the register of titles.
    "instruction": {
        "booking.card": (VIEW, ADD, CHANGE),
        "booking.titlerecord": ALL,
        "booking.outgoingmessage": (VIEW, CHANGE),
        "booking.booking": (VIEW,),
        "booking.site": (VIEW,),
        "booking.waitingrequest": (VIEW,),
    },
    # Supervisors: schedules, closures, démarches (and their waiting-list mode),
    # overrides, the waiting list's priorities and removals, FAQ, statistics.
    "encadrement": {
        "booking.openingschedule": ALL,
        "booking.closureday": ALL,
        "booking.procedure": ALL,
        "booking.site": ALL,
        "booking.slot": ALL,
        "booking.booking": (VIEW, CHANGE),
        "booking.card": (VIEW, CHANGE),
        "booking.outgoingmessage": (VIEW, CHANGE),
        "booking.titlerecord": (VIEW,),
        # The waiting list's actions: priority given or cleared, removal (each with
        # its reason). Requests are added by applicants only, never deleted.
        "booking.waitingrequest": (VIEW, CHANGE),
        "faq.category": ALL,
        "faq.question": ALL,
        "faq.announcement": ALL,
        "extra": (
            "booking.hand_over_card",
            "booking.override_handover",
            "booking.view_statistics",
        ),
    },
}


def permission_codenames(role: str) -> list[tuple[str, str]]:
    """(app_label, codename) of every permission a role grants."""
    granted: list[tuple[str, str]] = []
    for model, actions in ROLES[role].items():
        if model == "extra":
            for name in actions:
                app_label, codename = name.split(".")
                granted.append((app_label, codename))
            continue
        app_label, model_name = model.split(".")
        granted += [(app_label, f"{action}_{model_name}") for action in actions]
    return granted


def roles_sync(apps, schema_editor) -> None:
    """Migration step: the groups get exactly their role's permissions. Permissions a
    migration has not created yet are skipped (a later migration syncs again)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrations: create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        wanted = Q()
        for app_label, codename in permission_codenames(role):
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))
