"""The WSGI module gunicorn preloads leaves its workers warm."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _in_a_fresh_process(probe: str, **env: str) -> list[str]:
    """What ``probe`` prints, run after ``import prefecture.wsgi`` in a new Python
    process (what gunicorn --preload's master holds before it forks)."""
    result = subprocess.run(
        [sys.executable, "-c", f"import prefecture.wsgi\n{probe}"],
        cwd=ROOT,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "prefecture.settings"} | env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split()


def test_the_preloaded_application_has_the_views_imported():
    # A worker must not import the URLconf and the views at its first request.
    probe = (
        "import sys\n"
        "print(all(m in sys.modules for m in "
        "('prefecture.urls', 'booking.views.applying', 'faq.views')))"
    )
    assert _in_a_fresh_process(probe, DEBUG="true") == ["True"]


def test_the_preloaded_application_has_the_templates_and_patterns_compiled():
    # A worker replaced after --max-requests compiled the flow's templates and the
    # e-mail validator's patterns at its first requests (30 ms for the pattern).
    probe = (
        "from django.core.validators import EmailValidator\n"
        "from django.template import engines\n"
        "from django.utils.functional import empty\n"
        "[loader] = engines['django'].engine.template_loaders\n"
        "cached = loader.get_template_cache\n"
        "print(all(name in cached for name in ('base.html', 'booking/identity.html', "
        "'booking/details.html', 'faq/index.html', 'crispy_dsfr/field.html')))\n"
        "print(EmailValidator.domain_regex._wrapped is not empty)\n"
    )
    production = {
        "DEBUG": "false",
        "SECRET_KEY": "test-wsgi-warm-" + "x" * 40,
        "ALLOWED_HOSTS": "testserver",
    }
    assert _in_a_fresh_process(probe, **production) == ["True", "True"]


def test_a_template_that_fails_to_load_does_not_stop_the_server():
    # Before the fork, any error of one page's template (bad bytes, a tag's parser
    # raising) is logged: that page fails at its own request, the others are served.
    probe = (
        "def broken(name):\n"
        "    raise ValueError('bad bytes')\n"
        "prefecture.wsgi.get_template = broken\n"
        "prefecture.wsgi.logger.warning = lambda text, *args: print(text % args)\n"
        "prefecture.wsgi._warm()\n"
        "print('served')\n"
    )
    out = _in_a_fresh_process(probe, DEBUG="true")
    assert out[-1] == "served"
    assert "template not loaded before the fork:" in " ".join(out)
