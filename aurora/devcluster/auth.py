"""Optional HTTP Basic auth for the devcluster (`--users FILE`), with roles and admins.

The users file is JSON: `[{"user": "alice", "password": "<hash>", "roles":
["www-data"], "admin": false}, ...]`, the hash made by `aurora-devcluster
hash-password` (PBKDF2-SHA256, salted). Any authenticated user may read; a
user may change only jobs of their own roles; only admins may set quota.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import threading
from dataclasses import dataclass, field

ITERATIONS = 100_000
current = threading.local()     # the user of the request being served, per thread


@dataclass
class User:
    name: str
    password: str
    roles: set[str] = field(default_factory=set)
    admin: bool = False


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return f"pbkdf2_sha256${ITERATIONS}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        computed = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt),
                                       int(iterations))
    except ValueError:
        return False
    return scheme == "pbkdf2_sha256" and hmac.compare_digest(computed.hex(), digest)


def load_users(path: str) -> dict[str, User]:
    with open(path, encoding="utf-8") as handle:
        entries = json.load(handle)
    return {e["user"]: User(e["user"], e["password"], set(e.get("roles", [])),
                            bool(e.get("admin", False))) for e in entries}


class Authenticator:
    def __init__(self, users: dict[str, User]):
        self.users = users
        self._verified: dict[str, str] = {}     # header -> user: PBKDF2 once per header

    def user_of(self, header: str | None) -> User | None:
        """The user a Basic `Authorization` header proves, or None."""
        if not header or not header.startswith("Basic "):
            return None
        if header in self._verified:
            return self.users.get(self._verified[header])
        try:
            login, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user = self.users.get(login)
        if user is None or not check_password(password, user.password):
            return None
        self._verified[header] = login
        return user


def may_change(role: str) -> str | None:
    """None when the current user may change jobs of `role`, else the refusal message."""
    user = getattr(current, "user", None)
    if user is None or user.admin or role in user.roles:
        return None
    return f"user {user.name} may not change jobs of role {role}"


def may_administer() -> str | None:
    user = getattr(current, "user", None)
    if user is None or user.admin:
        return None
    return f"user {user.name} is not an administrator"
