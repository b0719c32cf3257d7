"""Session lines decode through one typed decoder; a bad line is a named problem."""

from __future__ import annotations

import json

import pytest

from engine.events import EventFormatError, TurnStarted, TurnUsage, decode_event
from engine.usage import BUCKETS, Usage
from tests.fixtures.record_session import FIXTURE


def _usage_line() -> dict[str, object]:
    for line in FIXTURE.read_text().splitlines()[1:]:
        data = json.loads(line)
        if data["kind"] == "usage":
            return dict(data)
    raise AssertionError("the fixture has no usage event")


def test_every_fixture_line_round_trips_through_the_typed_decoder() -> None:
    for line in FIXTURE.read_text().splitlines()[1:]:
        event = decode_event(line)
        stored = json.loads(line)
        assert {k: v for k, v in event.to_dict().items() if k in stored} == stored
        assert decode_event(json.dumps(event.to_dict())) == event


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"t": "soon"}, "field 't' is a string, expected a number"),
        ({"turn": 2.5}, "field 'turn' is a number, expected an integer"),
        ({"kind": "teleport"}, "unknown event kind 'teleport'"),
        ({"usage": {"input_tokens": 1}}, "missing field 'output_tokens' in usage"),
        ({"usage": None}, "field 'usage' is null, expected an object"),
    ],
)
def test_a_wrong_field_is_named(change: dict[str, object], message: str) -> None:
    data = _usage_line() | change
    with pytest.raises(EventFormatError, match=message):
        decode_event(json.dumps(data))


def test_a_missing_field_is_named_and_unknown_fields_are_ignored() -> None:
    data = _usage_line()
    del data["model"]
    with pytest.raises(EventFormatError, match="missing field 'model'"):
        decode_event(json.dumps(data))
    newer = _usage_line() | {"added_by_a_newer_fep_tui": 1}
    assert isinstance(decode_event(json.dumps(newer)), TurnUsage)


def test_events_are_written_kind_first_for_the_index() -> None:
    line = json.dumps(TurnStarted(1.5, "solo", 2, "m").to_dict(), separators=(",", ":"))
    assert line.startswith('{"kind":"turn_start","t":1.5,"role":"solo"')


def test_the_session_header_holds_every_field_of_trial_start() -> None:
    """The header is made from the engine's trial_start: a field added to one and not the
    other would be dropped from every session file without a word."""
    from engine.events import TrialStarted
    from sessions.header import SessionHeader

    started = set(TrialStarted.__struct_fields__)
    assert started <= set(SessionHeader.__struct_fields__), started - set(
        SessionHeader.__struct_fields__
    )


def test_usage_is_a_typed_struct_in_the_event_not_a_map() -> None:
    """A usage event's buckets decode into the engine's own Usage, each checked as an
    integer, so a fold adds them up without looking keys up."""
    line = json.dumps(
        {
            "kind": "usage",
            "t": 1.0,
            "role": "orchestrator",
            "turn": 1,
            "model": "claude-opus-4-7",
            "usage": {**dict.fromkeys(BUCKETS, 0), "cache_read": 12},
            "role_usage": {**dict.fromkeys(BUCKETS, 0), "cache_read": 30},
            "cost_usd": 0.0,
            "role_cache_read": 30,
            "role_cache_read_usd": 0.0,
            "role_cost_usd": 0.0,
            "total_cost_usd": 0.0,
            "duration_s": 0.1,
        }
    )
    event = decode_event(line)
    assert isinstance(event, TurnUsage)
    assert isinstance(event.usage, Usage) and event.usage.cache_read == 12
    assert (event.usage + event.role_usage).cache_read == 42
    with pytest.raises(EventFormatError, match="is a string, expected an integer"):
        decode_event(line.replace('"cache_read": 12', '"cache_read": "12"'))
