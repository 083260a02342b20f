"""Password hashing (argon2id) and the password policy (length, blocklist, context words)."""

from __future__ import annotations

import contextlib
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

BLOCKLIST_PATH = Path(__file__).parent / "data" / "common_passwords.txt"
CONTEXT_WORDS = ("asem", "secretariat", "asia-europe", "asiaeurope")


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_KIB"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if the password matches. With no stored hash, still spends the time of a check."""
    hasher = _hasher()
    if not stored_hash:
        # Same work as for a real account, so timing does not reveal unknown emails.
        with contextlib.suppress(VerifyMismatchError):
            hasher.verify(_dummy_hash(hasher.time_cost, hasher.memory_cost), password)
        return False
    try:
        return hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


@cache
def _dummy_hash(time_cost: int, memory_cost: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost).hash("not-a-password")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped blocklist, lower-cased."""
    with BLOCKLIST_PATH.open(encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def policy_errors(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Reasons the password is refused (empty if accepted). No composition rules, by design."""
    cfg = current_app.config
    errors: list[str] = []
    length = len(password)
    if length < cfg["PASSWORD_MIN_LENGTH"]:
        errors.append(f"Use at least {cfg['PASSWORD_MIN_LENGTH']} characters; a phrase of several words is easiest.")
    if length > cfg["PASSWORD_MAX_LENGTH"]:
        errors.append(f"Use at most {cfg['PASSWORD_MAX_LENGTH']} characters.")
    folded = _fold(password)
    compact = "".join(folded.split())
    if folded in common_passwords() or compact in common_passwords():
        errors.append("This password is on the list of commonly used passwords; choose another.")
    words = set(CONTEXT_WORDS)
    local_part = _fold(email).split("@")[0]
    if len(local_part) >= 3:
        words.add(local_part)
    words.update(part for part in _fold(name).replace(".", " ").split() if len(part) >= 3)
    found = sorted(word for word in words if word in folded or word in compact)
    if found:
        errors.append(
            "Do not include words that are easy to guess from context: " + ", ".join(f"“{w}”" for w in found) + "."
        )
    return errors
