"""The emulator's clock: the real clock plus an offset that ``/_emulator/clock`` can set.

Every date the emulator writes (``dateCreated``, ``paymentDate``, due-date checks, webhook
``dateCreated``) comes from here, so a test can jump days ahead in one call. Time keeps flowing
after a set/advance (the offset is kept, not a frozen instant). Brazil time (UTC-3, no DST).
"""

from __future__ import annotations

import datetime as dt
import threading

from .common import BRT, business_day_on_or_after


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        with self._lock:
            offset = self._offset
        return dt.datetime.now(BRT) + offset

    def today(self) -> dt.date:
        return self.now().date()

    @property
    def offset(self) -> dt.timedelta:
        with self._lock:
            return self._offset

    def set(self, moment: dt.datetime) -> None:
        """Make ``now()`` answer ``moment`` (naive means Brazil time) and flow on from there."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BRT)
        with self._lock:
            self._offset = moment - dt.datetime.now(BRT)

    def advance(self, delta: dt.timedelta) -> None:
        with self._lock:
            self._offset += delta

    def reset(self) -> None:
        with self._lock:
            self._offset = dt.timedelta(0)

    def credit_date(self, day: dt.date, days: int) -> dt.date:
        """``day + days`` rolled forward to a business day (Mon-Fri; holidays not modelled)."""
        return business_day_on_or_after(day + dt.timedelta(days=days))
