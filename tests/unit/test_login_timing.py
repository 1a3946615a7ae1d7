"""Login checks cost the same whether or not the user name exists (no user enumeration)."""

from __future__ import annotations

import hashlib

import pytest

from aurora.devcluster import auth


@pytest.fixture
def users() -> dict[str, auth.User]:
    return {"alice": auth.User("alice", auth.hash_password("right"), {"www-data"})}


def _work(monkeypatch, users, login: str, password: str):
    """The PBKDF2 rounds and digest comparisons one verify_login call performs."""
    auth.verify_login(users, "warm-up", "x")          # the dummy hash is made once, not per call
    rounds: list[int] = []
    compares: list[int] = []
    real_pbkdf2, real_compare = hashlib.pbkdf2_hmac, auth.hmac.compare_digest

    def pbkdf2(name, password, salt, iterations, *rest):
        rounds.append(iterations)
        return real_pbkdf2(name, password, salt, iterations, *rest)

    def compare(a, b):
        compares.append(len(a))
        return real_compare(a, b)
    monkeypatch.setattr(auth.hashlib, "pbkdf2_hmac", pbkdf2)
    monkeypatch.setattr(auth.hmac, "compare_digest", compare)
    user = auth.verify_login(users, login, password)
    monkeypatch.undo()
    return user, rounds, compares


def test_unknown_user_costs_a_full_hash_like_a_known_one(monkeypatch, users):
    known_wrong = _work(monkeypatch, users, "alice", "wrong")
    unknown = _work(monkeypatch, users, "mallory", "wrong")
    known_right = _work(monkeypatch, users, "alice", "right")
    assert known_wrong[0] is None and unknown[0] is None
    assert known_right[0] is users["alice"]
    assert unknown[1:] == known_wrong[1:] == known_right[1:] == ([auth.ITERATIONS], [64])


def test_password_of_the_dummy_hash_proves_nobody(users):
    # whatever the dummy hash's password is, an unknown name never logs in
    auth.verify_login(users, "nobody", "x")
    assert auth.verify_login(users, "nobody", auth._DUMMY_HASH[0]) is None
