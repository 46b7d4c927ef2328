"""Questionnaire item vectors consistent with their totals, and fast string building.

An item vector is drawn by giving each item ``item_max`` "slots" with random keys and
marking the ``total`` lowest keys: an item's score is its number of marked slots.  This gives
every total its exact sum, every item its range, and (through a key penalty) lets one item
be rarer than the others, e.g. PHQ-9 item 9 (thoughts of self-harm).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_CHUNK = 500_000


def item_vectors(
    rng: np.random.Generator,
    totals: np.ndarray,
    n_items: int,
    item_max: int,
    *,
    last_item_penalty: float = 0.0,
    profile: np.ndarray | None = None,
) -> np.ndarray:
    """An ``(len(totals), n_items)`` uint8 array whose rows sum to ``totals``.

    ``profile`` (optional, ``(len(totals), n_items)`` floats) shifts the keys of each row's
    items so a person's item pattern is stable from session to session.
    """
    totals = np.asarray(totals, dtype=np.int64)
    n = len(totals)
    if n and (totals.min() < 0 or totals.max() > n_items * item_max):
        raise ValueError("item totals outside the questionnaire range")
    out = np.empty((n, n_items), dtype=np.uint8)
    slots = n_items * item_max
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        keys = rng.random((hi - lo, slots), dtype=np.float32)
        keys = keys.reshape(hi - lo, n_items, item_max)
        if profile is not None:
            keys += profile[lo:hi, :, None].astype(np.float32)
        if last_item_penalty:
            keys[:, -1, :] += np.float32(last_item_penalty)
        keys = keys.reshape(hi - lo, slots)
        t = totals[lo:hi]
        srt = np.sort(keys, axis=1)
        thr = srt[np.arange(hi - lo), np.maximum(t - 1, 0)]
        chosen = (keys <= thr[:, None]) & (t[:, None] > 0)
        out[lo:hi] = chosen.reshape(hi - lo, n_items, item_max).sum(axis=2)
    return out


def vectors_to_strings(vectors: np.ndarray) -> pa.Array:
    """Comma-separated item scores, e.g. ``"1,2,0,3"``, as an Arrow string array."""
    n, m = vectors.shape
    if n == 0:
        return pa.array([], type=pa.large_string())
    if int(vectors.max(initial=0)) > 9:
        raise ValueError("item scores above 9 need a wider encoding")
    buf = np.full((n, 2 * m - 1), ord(","), dtype=np.uint8)
    buf[:, 0::2] = vectors + ord("0")
    fixed = np.ascontiguousarray(buf).view(f"S{2 * m - 1}").reshape(n)
    arr = pa.array(fixed, type=pa.large_binary())
    if isinstance(arr, pa.ChunkedArray):  # very large inputs
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Identifiers such as ``C000000123`` built in Arrow (fast for millions of rows)."""
    digits = pc.utf8_lpad(
        pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0"
    )
    return pc.binary_join_element_wise(prefix, digits, "")
