"""Password hashing with Argon2id (argon2-cffi).

Why Argon2id: it won the Password Hashing Competition, is the first choice of
OWASP's password storage cheat sheet and of RFC 9106, and is memory-hard, so
guessing passwords from a stolen table is costly on GPUs too. argon2-cffi is
the maintained binding of the reference implementation; its default
parameters (RFC 9106's low-memory profile: 64 MiB, 3 passes, 4 lanes) are
used, and ``needs_rehash`` upgrades old hashes at the next login when they
change. The hash string carries its own salt and parameters.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the e-mail address is unknown, so that a login for an
# unknown address costs the same time as one with a wrong password.
_DUMMY_HASH = _hasher.hash("not a password: only spends the time of a real check")


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (salted, parameters included)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; a missing or
    malformed hash is a mismatch (after spending the same time)."""
    if not password_hash:
        _spend_time(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def _spend_time(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def spend_verification_time(password: str) -> None:
    """Do the work of a password check without an account to check against."""
    _spend_time(password)
