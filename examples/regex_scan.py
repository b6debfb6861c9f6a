"""Scanning text with a regular expression: the `re` engine holds the GIL for the whole
match, so threads take turns."""

from __future__ import annotations

import random
import re

ADDRESS = re.compile(r"\b[a-z]+(?:\.[a-z]+)*@[a-z]+\.(?:com|org|net)\b")


def scan(text: str) -> int:
    """How many e-mail addresses a text holds."""
    return len(ADDRESS.findall(text))


def make_input(words: int, seed: int = 0) -> str:
    pick = random.Random(seed)
    vocabulary = ["the", "gil", "lock", "ada@example.com", "core", "bob.smith@python.org", "x"]
    return " ".join(pick.choice(vocabulary) for _ in range(words))


def inputs() -> list[str]:
    return [make_input(300_000, seed) for seed in range(8)]
