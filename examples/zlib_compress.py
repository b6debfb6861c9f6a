"""Compressing with zlib: the C library lets go of the GIL while it works, so threads run at
once. Processes must pickle each block across to their workers."""

from __future__ import annotations

import random
import zlib


def compress(block: bytes) -> int:
    """The compressed size of a block."""
    return len(zlib.compress(block, 6))


def make_input(size: int, seed: int = 0) -> bytes:
    words = [b"thread", b"process", b"lock", b"core", b"queue", b"pickle", b"interpreter"]
    chosen = random.Random(seed).choices(words, k=size // 6)
    return b" ".join(chosen)[:size]


def inputs() -> list[bytes]:
    return [make_input(4_000_000, seed) for seed in range(8)]
