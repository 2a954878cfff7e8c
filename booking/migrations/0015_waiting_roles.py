from django.db import migrations

from booking.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0014_waiting_list"),
    ]

    operations = [
        # The roles read the waiting list (accueil, instruction) or act on it
        # (encadrement).
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
    ]
