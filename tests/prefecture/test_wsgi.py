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


def test_the_preloaded_application_has_the_templates_and_patterns_compiled():
    # A worker replaced after --max-requests compiled the flow's templates and the
    # e-mail validator's patterns at its first requests (30 ms for the pattern).
    env = os.environ | {
        "DEBUG": "false",
        "SECRET_KEY": "test-wsgi-warm-" + "x" * 40,
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "prefecture.settings",
    }
    probe = (
        "import prefecture.wsgi\n"
        "from django.core.validators import EmailValidator\n"
        "from django.template import engines\n"
        "from django.utils.functional import empty\n"
        "[loader] = engines['django'].engine.template_loaders\n"
        "cached = loader.get_template_cache\n"
        "print(all(name in cached for name in ('base.html', 'booking/identity.html', "
        "'booking/details.html', 'faq/index.html', 'crispy_dsfr/field.html')))\n"
        "print(EmailValidator.domain_regex._wrapped is not empty)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ["True", "True"], result.stderr[-2000:]
