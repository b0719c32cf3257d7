"""Every event class, written as the session writer writes it, begins as
sessions/line_layout.py says: the fast readers (the index's head, its bulk times read with
numpy, the timeline's role and turn, the file checks' kind) agree with the decoder for
each. A new event class, or a field moved in front of `t`, fails here."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest

from engine.events import EVENT_CLASSES, Event, decode_event
from sessions.line_heads import block_heads
from sessions.line_layout import (
    BULK_PREFIXES,
    HEAD,
    LINE_KIND,
    ROLE_TURN_HEAD,
    SKELETON_KINDS,
)

ENCODE = msgspec.json.Encoder().encode


def _value(info: msgspec.inspect.Type) -> Any:
    """A plain value of a field's type, enough to build and encode an event."""
    ti = msgspec.inspect
    if isinstance(info, ti.UnionType):
        kinds = [t for t in info.types if not isinstance(t, ti.NoneType)]
        return _value(kinds[0]) if kinds else None
    if isinstance(info, ti.StrType | ti.LiteralType):
        return info.values[0] if isinstance(info, ti.LiteralType) else "a_role"
    if isinstance(info, ti.BoolType):
        return True
    if isinstance(info, ti.IntType):
        return 3
    if isinstance(info, ti.FloatType):
        return 1.25
    if isinstance(info, ti.DictType):
        return {}
    if isinstance(info, ti.ListType | ti.TupleType | ti.VarTupleType):
        return []
    if isinstance(info, ti.StructType):
        return {f.encode_name: _value(f.type) for f in info.fields if f.required}
    return None


def _instance(cls: type[Event], t: float) -> Event:
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    data = {f.encode_name: _value(f.type) for f in info.fields if f.required}
    data["t"] = t
    return msgspec.convert(data, cls)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("t", [0.0, 12.3456, 86400.0, 7.5e-05])
def test_each_event_line_begins_as_the_fast_readers_read_it(cls: type[Event], t: float) -> None:
    event = _instance(cls, t)
    line = ENCODE(event)
    decoded = decode_event(line)
    assert decoded == event
    kind = LINE_KIND.match(line)
    assert kind is not None and kind[1].decode() == event.kind
    head = HEAD.match(line)
    assert head is not None and head[1].decode() == event.kind and float(head[2]) == event.t
    if event.kind in ("usage", "turn_start"):
        role_turn = ROLE_TURN_HEAD.match(line)
        assert role_turn is not None
        assert (role_turn[3].decode(), int(role_turn[4])) == (event.role, event.turn)  # type: ignore[attr-defined]
    bulk = event.kind not in SKELETON_KINDS
    assert any(line.startswith(p) for p in BULK_PREFIXES) == bulk
    block = line + b"\n"
    [time] = block_heads(block, len(block), BULK_PREFIXES).times
    if not bulk:
        assert math.isnan(time), "a folded line is left for the caller to parse"
    elif event.kind != "judge_start":
        assert time == event.t
    else:
        # Nothing after its time: the numpy reader leaves it to the caller, who parses it
        # (one line a trial).
        assert math.isnan(time) or time == event.t
