"""Where each line of a block starts, and the time of each line the index keeps unparsed.

Most of a long session is text deltas and tool traffic, which the index keeps as an offset
and a time only. Reading those from the lines' first bytes with numpy, a block at a time,
takes the Python step per line out of the index build; the lines that are folded (usage,
turn starts, verdicts) or look odd are still read one by one by the caller.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

# fep-tui writes times to four decimals (a day is 86400.0000); longer ones are read the
# slow way.
_TIME_BYTES = 12
_NUMBER_BYTES = np.zeros(256, dtype=bool)
_NUMBER_BYTES[np.frombuffer(b"0123456789.-+eE", dtype=np.uint8)] = True
_AFTER_TIME = np.zeros(256, dtype=bool)
_AFTER_TIME[np.frombuffer(b",}", dtype=np.uint8)] = True


class BlockHeads(NamedTuple):
    starts: npt.NDArray[np.int64]
    """Each line's first byte, from the block's start."""
    ends: npt.NDArray[np.int64]
    """Each line's newline."""
    times: npt.NDArray[np.float64]
    """The time of a line written `{"kind":"<bulk kind>","t":<number>,...`; NaN for every
    other line, which the caller must read itself."""


def block_heads(block: bytes, cut: int, prefixes: tuple[bytes, ...]) -> BlockHeads:
    """The lines of `block[:cut]`, which ends in a newline."""
    data = np.frombuffer(block, dtype=np.uint8, count=cut)
    ends = np.flatnonzero(data == ord("\n")).astype(np.int64, copy=False)
    starts = np.zeros_like(ends)
    starts[1:] = ends[:-1] + 1
    time_at = np.zeros(len(ends), dtype=np.int64)
    lengths = ends - starts
    # Prefixes share `{"kind":"`; the kind's first two letters pick the few lines each
    # prefix must be compared with, so each line is compared about once.
    pairs = np.where(lengths > 10, data[np.minimum(starts + 9, len(data) - 1)], 0).astype(
        np.int64
    ) * 256 + np.where(lengths > 10, data[np.minimum(starts + 10, len(data) - 1)], 0)
    for prefix in prefixes:
        width = len(prefix)
        rows = np.flatnonzero((pairs == prefix[9] * 256 + prefix[10]) & (lengths > width))
        if not len(rows):
            continue
        window = data[starts[rows, None] + np.arange(width)]
        hits = rows[(window == np.frombuffer(prefix, dtype=np.uint8)).all(axis=1)]
        time_at[hits] = starts[hits] + width
    times = np.full(len(ends), np.nan)
    bulk = np.flatnonzero(time_at)
    if len(bulk):
        times[bulk] = _times(data, time_at[bulk], ends[bulk])
    return BlockHeads(starts, ends, times)


def _times(
    data: npt.NDArray[np.uint8], at: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    columns = np.arange(_TIME_BYTES)
    window = data[np.minimum(at[:, None] + columns, ends[:, None])]
    is_number = _NUMBER_BYTES[window]
    # The first byte after the number; 0 also when the whole window is number.
    width = np.argmin(is_number, axis=1)
    after = window[np.arange(len(at)), width]
    well_formed = (width > 0) & _AFTER_TIME[after]
    window[columns >= width[:, None]] = 0
    times = np.full(len(at), np.nan)
    # A number numpy will not read ("1-2") leaves the block's times NaN: each line is then
    # read the slow way, alone, and the bad one named.
    with contextlib.suppress(ValueError):
        times[well_formed] = window[well_formed].view(f"S{_TIME_BYTES}").ravel().astype(np.float64)
    return times
