"""Log records whose level Django sets higher than an operator needs.

Django logs a request for a host not in ALLOWED_HOSTS at ERROR, with a traceback:
behind a load balancer every scanner and every probe by IP address writes one, and
real errors drown in them. It is one line at WARNING here: still counted, no
traceback (the request never reached our code)."""

import logging


class HostProbeFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        return True
