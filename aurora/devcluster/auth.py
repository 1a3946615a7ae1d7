"""Optional auth for the devcluster: HTTP Basic (`--users FILE`) and Kerberos (SPNEGO).

The users file is JSON: `[{"user": "alice", "password": "<hash>", "roles":
["www-data"], "admin": false}, ...]`, the hash made by `aurora-devcluster
hash-password` (PBKDF2-SHA256, salted). With `--kerberos-keytab`, requests
may instead carry `Authorization: Negotiate ...`; the principal's name (before
the `@`) is looked up in the same users file for its roles. Any authenticated
user may read; a user may change only jobs of their own roles; only admins may
set quota.
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


_DUMMY_HASH: list[str] = []     # made once: what unknown user names are checked against


def verify_login(users: dict[str, User], login: str, password: str) -> User | None:
    """The user `login`/`password` proves, or None, in the same time either way.

    An unknown name still costs one full PBKDF2 (against a dummy hash) and one
    constant-time comparison, so the answer's timing does not tell which user
    names exist.
    """
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(os.urandom(16).hex()))
    user = users.get(login)
    stored = user.password if user is not None else _DUMMY_HASH[0]
    matches = check_password(password, stored)
    return user if matches and user is not None else None


def load_users(path: str) -> dict[str, User]:
    with open(path, encoding="utf-8") as handle:
        entries = json.load(handle)
    return {e["user"]: User(e["user"], e["password"], set(e.get("roles", [])),
                            bool(e.get("admin", False))) for e in entries}


class Authenticator:
    def __init__(self, users: dict[str, User], kerberos: bool = False):
        self.users = users
        self.kerberos = kerberos
        self._verified: dict[str, str] = {}     # header -> user: PBKDF2 once per header

    def challenge(self) -> str:
        return "Negotiate" if self.kerberos else 'Basic realm="aurora-devcluster"'

    def kerberos_user(self, header: str) -> User | None:
        """The user a SPNEGO token proves (keytab from $KRB5_KTNAME), or None."""
        try:
            import spnego  # type: ignore[import-not-found]

            context = spnego.server(service="HTTP", protocol="negotiate")
            context.step(base64.b64decode(header[len("Negotiate "):]))
            principal = str(context.client_principal or "")
        except Exception:  # noqa: BLE001 - any failure is simply "not authenticated"
            return None
        name = principal.split("@", 1)[0]
        return self.users.get(name) or User(name, "", set(), False) if name else None

    def user_of(self, header: str | None) -> User | None:
        """The user an `Authorization` header proves (Basic or Negotiate), or None."""
        if header and self.kerberos and header.startswith("Negotiate "):
            return self.kerberos_user(header)
        if not header or not header.startswith("Basic "):
            return None
        if header in self._verified:
            return self.users.get(self._verified[header])
        try:
            login, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user = verify_login(self.users, login, password)
        if user is None:
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
