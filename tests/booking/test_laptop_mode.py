"""`make run` on a laptop: SQLite and tasks in process. The booking's queries are
compiled once per process on PostgreSQL (prefecture.compiled_sql); SQLite converts
values on their way into the SQL, so there they are compiled each time. The whole
flow is walked there, in a process of its own with the embedded defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WALK = """
import re
from django.test import Client
from booking.models import Booking, Hold, Procedure

c = Client(HTTP_HOST="127.0.0.1")
procedure = Procedure.objects.get(slug="renouvellement")
identity = {"numero_etranger": "208006503", "valid_until": "31/03/2028", "postal_code": "45000"}
assert c.post("/rendez-vous/", {"situation": "titre_sejour", "procedure": procedure.pk})["Location"] == "/rendez-vous/identite/"
assert c.post("/rendez-vous/identite/", identity)["Location"] == "/rendez-vous/creneaux/"
page = c.get("/rendez-vous/creneaux/").content.decode()
slot = re.search(r'name="slot" value="(\\d+)"', page).group(1)
for _ in range(2):  # choosing again gives the first hold back
    assert c.post("/rendez-vous/creneaux/", {"slot": slot})["Location"] == "/rendez-vous/coordonnees/"
assert Hold.objects.count() == 1
contact = {"last_name": "Diallo", "first_name": "Awa", "mobile": "06 12 34 56 78", "email": ""}
assert c.post("/rendez-vous/coordonnees/", contact)["Location"] == "/rendez-vous/confirme/"
booking = Booking.objects.get(status="confirmed")
assert (str(booking.slot_id), booking.numero_etranger) == (slot, "2008006503")
assert booking.messages.filter(channel="sms").count() == 1
assert not Hold.objects.exists()
assert booking.reference in c.get("/rendez-vous/confirme/").content.decode()
again = Client(HTTP_HOST="127.0.0.1")
again.post("/rendez-vous/", {"situation": "titre_sejour", "procedure": procedure.pk})
assert again.post("/rendez-vous/identite/", identity).status_code == 200  # already booked
print("walked")
"""


def test_the_flow_books_on_sqlite(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "-v", "0")
    manage("seed_demo")
    manage("demarche_mode", "renouvellement", "direct")
    assert "walked" in manage("shell", "-c", WALK)
