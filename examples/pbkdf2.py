"""Deriving a key with `hashlib.pbkdf2_hmac`: OpenSSL does the rounds with the GIL released,
so threads run at once."""

from __future__ import annotations

import hashlib


def derive(password: str) -> str:
    """A key derived from a password (a fixed salt, so every run gives the same key)."""
    return hashlib.pbkdf2_hmac("sha256", password.encode(), b"gilviz-salt", ROUNDS).hex()


ROUNDS = 200_000


def make_input(n: int) -> str:
    return f"correct horse battery staple {n}"


def inputs() -> list[str]:
    return [make_input(n) for n in range(8)]
