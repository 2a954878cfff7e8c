"""Each booking's manage link gets its own random secret (128 bits), unrelated to the
reference; existing bookings get one here, so their old links stop working and the
applicant asks for a new one."""

import secrets

from django.db import migrations, models

import booking.models.appointments


def fill_tokens(apps, schema_editor):
    Booking = apps.get_model("booking", "Booking")
    for booking in Booking.objects.filter(manage_token__isnull=True).only("pk"):
        booking.manage_token = secrets.token_urlsafe(16)
        booking.save(update_fields=["manage_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0011_moves_and_sms_caps"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="manage_token",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="booking",
            name="manage_token",
            field=models.CharField(
                default=booking.models.appointments.new_manage_token,
                editable=False,
                max_length=32,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="bookingevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "créé"),
                    ("cancelled", "annulé"),
                    ("moved", "déplacé"),
                    ("closed", "clos (date passée)"),
                    ("honoured", "présent"),
                    ("no_show", "absent"),
                    ("flagged", "numéro signalé douteux"),
                    ("link_resent", "lien de gestion renvoyé"),
                ],
                max_length=20,
                verbose_name="événement",
            ),
        ),
        migrations.AlterField(
            model_name="outgoingmessage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("card_ready", "titre disponible"),
                    ("card_reminder", "rappel de retrait"),
                    ("booking_confirmed", "rendez-vous confirmé"),
                    ("booking_reminder", "rappel de rendez-vous"),
                    ("booking_cancelled", "rendez-vous annulé"),
                    ("booking_moved", "rendez-vous déplacé"),
                    ("booking_confirmed_email", "courriel de confirmation"),
                    ("booking_link_resent", "lien de gestion renvoyé"),
                    ("booking_manage_code", "code de confirmation"),
                ],
                max_length=24,
                verbose_name="type",
            ),
        ),
    ]
