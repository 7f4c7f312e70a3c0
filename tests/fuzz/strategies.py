"""Hypothesis strategies for the fuzz tests: Twilio's webhook forms, JSON, text frames."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from channels.twilio.inbound import MAX_BODY, MAX_MEDIA

DEEP = "[" * 5_000 + "]" * 5_000  # valid JSON that Python's parser cannot nest into

phones = st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)
sids = st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True)
texts = st.text(max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12)


def plausible(*choices: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A field's value: often what Twilio sends, sometimes anything at all."""
    return st.one_of(*choices, st.text(max_size=60))


twilio_forms = st.fixed_dictionaries({}, optional={
    "MessageSid": plausible(sids),
    "From": plausible(phones, phones.map("whatsapp:{}".format)),
    "Body": plausible(st.sampled_from(["hi", "", " \t", "a\x00b", "x" * (MAX_BODY + 1)])),
    "NumMedia": plausible(st.integers(-1, MAX_MEDIA + 1).map(str),
                          st.sampled_from(["²", "٣", " 1 ", "0" * 5_000])),
    "MediaUrl0": plausible(st.just("https://api.twilio.com/m/ME1"), st.just("ftp://x")),
    "MediaContentType0": plausible(st.just("image/jpeg; q=1")),
    "MediaUrl1": plausible(st.just("http://cdn.example/ME2")),
    "ProfileName": plausible(),
    "WaId": plausible(st.from_regex(r"[0-9]{7,15}", fullmatch=True)),
}).flatmap(lambda known: st.dictionaries(texts, texts, max_size=3).map(
    lambda extra: {**extra, **known}))


# What a form field can carry into XML at all: XML 1.0 has no other control characters.
xml_texts = st.text(st.characters(blacklist_categories=("Cs",),
                                  blacklist_characters=[chr(c) for c in range(32)
                                                        if chr(c) not in "\t\n\r"]),
                    max_size=60)


def frames(types: list[str], fields: dict[str, st.SearchStrategy[Any]],
           ) -> st.SearchStrategy[str]:
    """Text frames: JSON objects shaped like the protocol's (a known or unknown type, its
    fields right or wrong), any JSON, or any text."""
    shaped = st.fixed_dictionaries(
        {"type": st.sampled_from(types) | json_values},
        optional={name: strategy | json_values for name, strategy in fields.items()})
    return st.one_of(shaped.map(json.dumps), json_values.map(json.dumps), st.text(max_size=80))
