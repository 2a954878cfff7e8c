"""The WSGI module gunicorn preloads leaves its workers warm."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_preloaded_application_has_the_views_imported():
    # What gunicorn --preload's master holds before it forks: a worker must not
    # import the URLconf and the views at its first request.
    env = os.environ | {
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "prefecture.settings",
    }
    probe = (
        "import sys, prefecture.wsgi; "
        "print(all(m in sys.modules for m in "
        "('prefecture.urls', 'booking.views.applying', 'faq.views')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == "True", result.stderr[-2000:]
