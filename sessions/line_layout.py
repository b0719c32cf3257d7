"""How a session file's event lines begin, for the readers that look at their first bytes
instead of parsing them (the index build, the timeline's raw usage lines, the file's own
checks). The writer (msgspec, sessions/writer.py) puts an event's fields in its class's
order after its tag: `{"kind":"<tag>","t":<time>,...`, and a usage or turn_start line's
role and turn next. tests/unit/test_line_layout.py checks every event class against these.
"""

from __future__ import annotations

import re

from engine.events import EVENT_TYPES

# The events a fold (sessions/timeline.py) counts: a trial's turns, money and verdict. The
# index parses these lines; the others it keeps as an offset and a time.
SKELETON_KINDS = frozenset(
    {"usage", "turn_start", "delegation", "executor_summary", "judge", "error", "trial_end"}
)

# The kind of any event line; a file another tool saved may have spaces, so they are let in.
LINE_KIND = re.compile(rb'\{\s*"kind"\s*:\s*"([a-z_]+)"')
# Kind and time of a line fep-tui wrote.
HEAD = re.compile(rb'\{"kind":"([a-z_]+)","t":([-0-9.eE+]+)')
# A usage or turn_start line: kind, time, role and turn.
ROLE_TURN_HEAD = re.compile(
    rb'\{"kind":"(usage|turn_start)","t":([-0-9.eE+]+),"role":"([A-Za-z0-9_-]+)","turn":(\d+)[,}]'
)
# How the lines the index keeps unparsed begin, up to their time (sessions/line_heads.py).
BULK_PREFIXES = tuple(
    b'{"kind":"' + kind.encode() + b'","t":' for kind in sorted(set(EVENT_TYPES) - SKELETON_KINDS)
)
