"""Querying SQLite: the sqlite3 module releases the GIL while SQLite steps through a query, so
threads run at once. Each worker opens its own database once (`--setup`), as it would open a
connection."""

from __future__ import annotations

import sqlite3
import threading

ROWS = 200_000
_local = threading.local()


def open_database() -> None:
    """Once per worker (`--setup examples.sqlite_query:open_database`): its own database."""
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE sales (region INTEGER, amount INTEGER)")
    database.executemany(
        "INSERT INTO sales VALUES (?, ?)", ((i % 50, (i * 7919) % 1000) for i in range(ROWS))
    )
    _local.database = database


def total(region: int) -> int:
    """Every other region's sales, weighed and summed by a query that reads the whole table."""
    if not hasattr(_local, "database"):  # called without --setup
        open_database()
    query = "SELECT sum(amount * amount % 97) FROM sales WHERE region != ?"
    return int(_local.database.execute(query, (region,)).fetchone()[0])


def make_input(region: int) -> int:
    return region


def inputs() -> list[int]:
    return list(range(8))
