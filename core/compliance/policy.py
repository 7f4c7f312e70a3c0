"""Jurisdiction contact profiles: when, how often and how closely together a borrower may be
contacted. Profiles are data (JSON files in `profiles/`), validated here.

A profile says, for the BORROWER's own time zone (`Customer.time_zone`):
- `hours`: the windows per weekday in which contact may start, each `[start, end)` (08:00
  allowed, 20:00 not); an empty list closes the day;
- `caps_per_day`: attempts per local calendar day, overall (`all`) and per channel;
- `caps_per_7_days`: attempts in any rolling 7 × 24 hours, overall and per channel;
- `cooling_off_minutes`: the least time between the start of two attempts, any channel.

Caps count every recorded attempt, of any purpose and outcome (a missed call counts).
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator
from pydantic import ValidationError as PydanticError

from core.customers.models import ContactChannel
from core.errors import NotFoundError, ValidationError

DEFAULT_PROFILE: Final = "TT"
"""The demo lender's jurisdiction: Trinidad and Tobago."""


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @classmethod
    def of(cls, day: dt.date) -> Weekday:
        return list(cls)[day.weekday()]


class Window(BaseModel):
    """Contact may start at `start` and up to, not including, `end` (local times)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start >= self.end:
            raise ValueError(f"a window must start before it ends ({self.start}–{self.end})")
        return self

    def contains(self, moment: dt.time) -> bool:
        return self.start <= moment < self.end

    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


class Caps(BaseModel):
    """The most attempts allowed in a period: `all` over every channel, and per channel."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    all: PositiveInt | None = None
    channels: dict[ContactChannel, PositiveInt] = Field(default_factory=dict)


class ContactProfile(BaseModel):
    """One jurisdiction's contact rules (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=200)
    hours: dict[Weekday, tuple[Window, ...]]
    caps_per_day: Caps
    caps_per_7_days: Caps
    cooling_off_minutes: int = Field(ge=0, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _every_day(self) -> ContactProfile:
        missing = [day.value for day in Weekday if day not in self.hours]
        if missing:
            raise ValueError("hours must list every weekday (an empty list closes it); "
                             "missing: " + ", ".join(missing))
        for day, windows in self.hours.items():
            ordered = sorted(windows, key=lambda w: w.start)
            if any(a.end > b.start for a, b in pairwise(ordered)):
                raise ValueError(f"the windows on {day.value} overlap")
        return self

    def windows(self, day: dt.date) -> tuple[Window, ...]:
        """The windows of `day`'s weekday, earliest first."""
        return tuple(sorted(self.hours[Weekday.of(day)], key=lambda w: w.start))

    @property
    def cooling_off(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.cooling_off_minutes)


def parse_profile(data: object) -> ContactProfile:
    """A profile from its JSON-like data; `ValidationError` naming what is wrong."""
    try:
        return ContactProfile.model_validate(data)
    except PydanticError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'profile'}: {e['msg']}"
            for e in error.errors()
        )
        raise ValidationError(f"That contact profile is not valid: {problems}.") from None


@cache
def load_profile(code: str = DEFAULT_PROFILE) -> ContactProfile:
    """The shipped profile for a jurisdiction code ("TT"); `NotFoundError` when none."""
    name = f"{code.strip().lower()}.json"
    source = resources.files("core.compliance").joinpath("profiles").joinpath(name)
    if not code.strip().isalnum() or not source.is_file():
        raise NotFoundError(f"There is no contact profile for jurisdiction {code!r}.")
    return parse_profile(json.loads(source.read_text(encoding="utf-8")))
