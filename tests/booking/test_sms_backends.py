import json

import pytest

from booking.sms import Sms, get_backend
from booking.sms.checks import sms_backend_is_known

SMS = Sms(
    reference="card:7:ready", to="+33612345678", body="Votre titre", kind="card_ready"
)


def test_file_backend_writes_the_contract_json_lines(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms-outbox.jsonl")
    get_backend().send(SMS)
    get_backend().send(SMS)
    lines = (tmp_path / "sms-outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert set(record) == {"id", "to", "body", "kind", "sent_at"}
    assert record["to"] == "+33612345678" and record["body"] == "Votre titre"


def test_console_backend_masks_the_number(settings, capsys):
    settings.SMS_BACKEND = "console"
    get_backend().send(SMS)
    out = capsys.readouterr().out
    assert "Votre titre" in out and "+33612345678" not in out


def test_unknown_backend_is_an_error(settings):
    settings.SMS_BACKEND = "carrier-pigeon"
    with pytest.raises(KeyError):
        get_backend()


@pytest.mark.parametrize(
    ("backend", "key", "errors"),
    [
        ("console", "", 0),
        ("brevo", "k", 0),
        ("brevo", "", 1),
        ("carrier-pigeon", "", 1),
    ],
)
def test_sms_backend_is_checked_at_start_up(settings, backend, key, errors):
    settings.SMS_BACKEND = backend
    settings.BREVO_API_KEY = key
    assert len(sms_backend_is_known(None)) == errors
