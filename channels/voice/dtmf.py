"""Keys pressed on a call, gathered into one entry.

ConversationRelay reports each key as it is pressed. An entry ends with `#`, when it reaches
`MAX_DIGITS`, or after a pause of `pause` seconds; `*` clears what was keyed so far (the
usual "start again" key). A `#` with nothing keyed is ignored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

MAX_DIGITS = 20
PAUSE_SECONDS = 3.0


class DigitEntry:
    """Gathers keys into entries and hands each finished entry to `on_entry`."""

    def __init__(self, on_entry: Callable[[str], None], *, pause: float = PAUSE_SECONDS) -> None:
        self.on_entry = on_entry
        self.pause = pause
        self.digits = ""
        self._timer: asyncio.TimerHandle | None = None

    def press(self, key: str) -> None:
        self._stop_timer()
        if key == "*":
            self.digits = ""
            return
        if key == "#":
            self.flush()
            return
        self.digits += key
        if len(self.digits) >= MAX_DIGITS:
            self.flush()
            return
        self._timer = asyncio.get_running_loop().call_later(self.pause, self.flush)

    def flush(self) -> None:
        """Finish the entry now (the caller spoke, or hung up) if anything was keyed."""
        self._stop_timer()
        digits, self.digits = self.digits, ""
        if digits:
            self.on_entry(digits)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
