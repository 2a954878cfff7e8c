"""gunicorn's logger without secrets: ``--logger-class
prefecture.gunicorn_logging.RedactingLogger``.

The access log's request line (``%(r)s``), path (``%(U)s``) and every other atom get
the receipts' secret replaced (prefecture/log_redaction.py), and so do the error log's
lines ("Error handling request /sms/recus/…"); an ``Authorization`` header logged with
``%({authorization}i)s`` shows as redacted.
"""

from gunicorn.glogging import Logger

from prefecture.log_redaction import REDACTED, RedactSecretsFilter, redact

_FILTER = RedactSecretsFilter()


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.error_log.addFilter(_FILTER)  # once: addFilter skips a filter it has

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: REDACTED
            if key == "{authorization}i"
            else redact(value)
            if isinstance(value, str)
            else value
            for key, value in atoms.items()
        }
