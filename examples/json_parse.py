"""Parsing JSON: the decoder is C, but it builds Python objects all the way and holds the GIL
while it does, so threads take turns."""

from __future__ import annotations

import json


def parse(document: str) -> int:
    """How many records a JSON document holds."""
    return len(json.loads(document)["records"])


def make_input(records: int) -> str:
    rows = [{"id": i, "name": f"user{i}", "tags": ["a", "b", str(i % 7)]} for i in range(records)]
    return json.dumps({"records": rows})


def inputs() -> list[str]:
    return [make_input(40_000 + i) for i in range(8)]
