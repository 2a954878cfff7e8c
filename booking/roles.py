"""The agents' roles, as Django groups and permissions (created by a migration)."""

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
        "extra": ("booking.hand_over_card",),
    },
    # Case handling: cards produced and the register of titles.
    "instruction": {
        "booking.card": (VIEW, ADD, CHANGE),
        "booking.titlerecord": ALL,
        "booking.outgoingmessage": (VIEW, CHANGE),
        "booking.booking": (VIEW,),
        "booking.site": (VIEW,),
    },
    # Supervisors: schedules, closures, démarches, overrides, FAQ, statistics.
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
        "faq.category": ALL,
        "faq.question": ALL,
        "faq.announcement": ALL,
        "extra": ("booking.hand_over_card", "booking.override_handover"),
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
