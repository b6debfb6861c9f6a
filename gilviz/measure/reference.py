"""What each workload's tasks must return, worked out without the task code.

The runner checks every task against these values, so a task whose work was changed or
skipped shows up as wrong checksums rather than as a faster, "valid" run. Each value comes
from a different route than the task takes: a closed formula, one pass over the whole data,
or a pinned constant. Standard library only: the runner imports it.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

MODULUS = 1_000_000_007
MULTIPLIER = 31
HASH_BLOCK = b"gilviz" * (1024 * 1024 // 6)
DISK_BLOCK = bytes(range(256)) * 256
PAYLOAD = bytes(range(256)) * (4 * 1024 * 1024 // 256)
PAYLOAD_RESULT_CRC = 1020679736
"""crc32 of PAYLOAD with 13 added to every byte (mod 256), pinned."""


def cpu_checksum(size: int) -> int:
    """acc = (acc * 31 + i) % M over i < size, by its closed form: sum of i * 31^(size-1-i)
    (0 for sizes 0 and 1, as the loop gives)."""
    r, n, m = MULTIPLIER, size, MODULUS
    inverse = pow(r - 1, -1, m)
    powers = (pow(r, n, m) - 1) * inverse % m  # sum of r^j, j < n
    weighted = r * (1 - n * pow(r, n - 1, m) + (n - 1) * pow(r, n, m)) * inverse * inverse % m
    return ((n - 1) * powers - weighted) % m  # sum of (n-1-j) r^j


def hash_checksum(size: int) -> int:
    """The first 15 hex digits of sha256 over `size` hash blocks, read as an integer: the
    blocks go in 64 at a time, where the task feeds them one by one."""
    digest = hashlib.sha256()
    full, rest = divmod(size, 64)
    sixty_four = HASH_BLOCK * 64
    for _ in range(full):
        digest.update(sixty_four)
    digest.update(HASH_BLOCK * rest)
    return int(digest.hexdigest()[:15], 16)


def net_checksum(size: int) -> int:
    """crc32 of the echoed messages: the numbers below `size`, 8 bytes big-endian each."""
    return zlib.crc32(b"".join(i.to_bytes(8) for i in range(size)))


def disk_checksum(size: int) -> int:
    """crc32 of the file read back: `size` disk blocks."""
    checksum = 0
    for _ in range(size):
        checksum = zlib.crc32(DISK_BLOCK, checksum)
    return checksum


def expected_checksum(workload: str, size: int, arg: Any = None) -> int:
    """The checksum every task of `workload` at `size` must return with argument `arg`."""
    if workload in ("cpu", "mixed"):
        return cpu_checksum(size)
    if workload == "hash":
        return hash_checksum(size)
    if workload == "sleep":
        return size
    if workload == "net":
        return net_checksum(size)
    if workload == "disk":
        return disk_checksum(size)
    if workload == "payload":
        if arg != PAYLOAD:
            raise ValueError("payload tasks are checked against the standard 4 MiB payload")
        return PAYLOAD_RESULT_CRC
    raise ValueError(f"no reference for workload {workload!r}")
