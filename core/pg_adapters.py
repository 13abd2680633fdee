"""PostgreSQL ``timestamptz`` values parsed by psycopg's C loader instead of Django's Python one.

Django's psycopg 3 backend registers a ``timestamptz`` loader of its own
(``psycopg_any.BaseTzLoader``: psycopg's *pure-Python* ``TimestamptzLoader`` and a
``replace(tzinfo=...)``) on every connection, so each timestamp read costs about 3 µs of
Python parsing instead of the 0.2 µs of the C loader psycopg's binary package ships — a fifth
of the CPU of a 20-row list of appointments. ``timestamptz_loader_install`` (connected to
``connection_created`` in ``CoreConfig.ready``) registers on the new connection a loader that
has the C loader parse and keeps Django's semantics exactly: the value is converted to the
connection's time zone (Django sets it to UTC with ``USE_TZ``) and then given Django's
``timezone`` as its ``tzinfo``, as ``BaseTzLoader.load`` does. Without the C module (psycopg's
pure-Python install) or with psycopg 2, nothing changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

try:
    from psycopg import adapt
    from psycopg._cmodule import _psycopg
except ImportError:  # psycopg 2, or psycopg 3 without its C module: Django's loader stays
    adapt = None  # type: ignore[assignment]
    _psycopg = None  # type: ignore[assignment]


def timestamptz_loader_for(timezone: dt.tzinfo | None) -> type | None:
    """A loader class for ``timezone`` (Django's connection ``timezone``), or None without
    psycopg's C module."""
    if _psycopg is None or adapt is None:
        return None
    c_loader = _psycopg.TimestamptzLoader

    class CTimestamptzLoader(adapt.Loader):
        # Read by Django's create_cursor: equal to the connection's, it registers nothing more.
        __module__ = __name__

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._load = c_loader(oid, context).load

        def load(self, data: Any) -> dt.datetime:
            value: dt.datetime = self._load(data)
            # replace() costs four times the parsing: skipped when it would change nothing.
            return value if value.tzinfo is timezone else value.replace(tzinfo=timezone)

    CTimestamptzLoader.timezone = timezone  # type: ignore[attr-defined]
    return CTimestamptzLoader


_loaders: dict[Any, type | None] = {}


def timestamptz_loader_install(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: the C-parsed ``timestamptz`` loader on a new psycopg 3
    connection (see the module's docstring)."""
    if connection.vendor != "postgresql":
        return
    raw: Any = connection.connection
    adapters = getattr(raw, "adapters", None)
    if adapters is None:  # psycopg 2
        return
    timezone = connection.timezone
    if timezone not in _loaders:
        _loaders[timezone] = timestamptz_loader_for(timezone)
    loader = _loaders[timezone]
    if loader is not None:
        adapters.register_loader("timestamptz", loader)
