"""Log hygiene: request lines lose their query string before any handler writes them.

Query strings carry search terms (a patient's CPF or name, an e-mail); the path alone is enough
to operate the service. ``QueryStringRedactingFilter`` is attached to every handler the project
configures (runserver's ``django.server`` access lines included); gunicorn's access log uses the
path-only format of ``gunicorn.conf.py``.
"""

from __future__ import annotations

import logging
import re

# "/api/patients/?search=529.982.247-25" -> "/api/patients/" (up to the next blank or quote).
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


def redact_query_strings(text: str) -> str:
    return _QUERY.sub(r"\1", text)


class QueryStringRedactingFilter(logging.Filter):
    """Rewrites the record's message with every URL query string removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_query_strings(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True
