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
from numpy.lib.stride_tricks import sliding_window_view

# fep-tui writes times to four decimals (a day is 86400.0000); longer ones are read the
# slow way.
_TIME_BYTES = 12
_NUMBER_BYTES = np.zeros(256, dtype=bool)
_NUMBER_BYTES[np.frombuffer(b"0123456789.-+eE", dtype=np.uint8)] = True
_AFTER_TIME = np.zeros(256, dtype=bool)
_AFTER_TIME[np.frombuffer(b",}", dtype=np.uint8)] = True
_POWERS_OF_TEN = 10.0 ** np.arange(_TIME_BYTES + 1)


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
    lengths = ends - starts
    time_at = np.zeros(len(ends), dtype=np.int64)
    # Prefixes share `{"kind":"`; the kind's first two letters pick the few lines each
    # prefix must be compared with, so each line is compared about once.
    long_enough = np.flatnonzero(lengths > 10)
    pairs = np.zeros(len(ends), dtype=np.int64)
    pairs[long_enough] = (
        data[starts[long_enough] + 9].astype(np.int64) * 256 + data[starts[long_enough] + 10]
    )
    for prefix in prefixes:
        width = len(prefix)
        rows = np.flatnonzero((pairs == prefix[9] * 256 + prefix[10]) & (lengths > width))
        if not len(rows):
            continue
        # Each row of a sliding window view is `width` bytes from its start: no copy.
        heads = sliding_window_view(data, width)[starts[rows]]
        hits = rows[(heads == np.frombuffer(prefix, dtype=np.uint8)).all(axis=1)]
        time_at[hits] = starts[hits] + width
    times = np.full(len(ends), np.nan)
    bulk = np.flatnonzero(time_at)
    if len(bulk):
        times[bulk] = _times(data, time_at[bulk])
    return BlockHeads(starts, ends, times)


def _times(data: npt.NDArray[np.uint8], at: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    # A window may run past its line's newline: the number ends before it all the same.
    # One too close to the block's end is left to the slow way.
    fits = at <= len(data) - _TIME_BYTES
    window = sliding_window_view(data, _TIME_BYTES)[np.where(fits, at, 0)]
    is_number = _NUMBER_BYTES[window]
    # The first byte after the number; 0 also when the whole window is number.
    width = np.argmin(is_number, axis=1)
    after = window[np.arange(len(at)), width]
    well_formed = fits & (width > 0) & _AFTER_TIME[after]
    plain, values = _decimals(window, width)
    times = np.where(well_formed & plain, values, np.nan)
    rest = np.flatnonzero(well_formed & ~plain)
    if len(rest):
        # Signs and exponents: numpy's own parser, on the few that have them.
        text = window[rest]
        text[np.arange(_TIME_BYTES) >= width[rest, None]] = 0
        # A number it will not read ("1-2") leaves these times NaN: each line is then
        # read the slow way, alone, and the bad one named.
        with contextlib.suppress(ValueError):
            times[rest] = text.view(f"S{_TIME_BYTES}").ravel().astype(np.float64)
    return times


def _decimals(
    window: npt.NDArray[np.uint8], width: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Times written as digits and at most one point (all fep-tui writes): the digits read
    as one whole number, column by column, over ten to the number of decimals. Both are
    exact in a double, so the one division rounds as `float()` does."""
    whole = np.zeros(len(width), dtype=np.int64)
    decimals = np.zeros(len(width), dtype=np.int64)
    digits = np.zeros(len(width), dtype=np.int64)
    after_point = np.zeros(len(width), dtype=bool)
    plain = width > 0
    for column in range(window.shape[1]):
        byte = window[:, column]
        inside = column < width
        digit = inside & (byte >= ord("0")) & (byte <= ord("9"))
        point = inside & (byte == ord("."))
        plain &= ~(inside & ~digit & ~point) & ~(point & after_point)
        whole = np.where(digit, whole * 10 + (byte.astype(np.int64) - ord("0")), whole)
        digits += digit
        decimals += digit & after_point
        after_point |= point
    plain &= (digits > 0) & (digits <= 15)
    return plain, whole / _POWERS_OF_TEN[decimals]
