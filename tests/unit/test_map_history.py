"""Counting how many times a Map's pairs came back from a get() (map_history.py)."""

from __future__ import annotations

from pystachio import Map, String

from aurora.config import map_history

map_history.install()
Ports = Map(String, String)


def test_a_literal_has_no_refeed_and_each_feed_of_a_get_adds_one() -> None:
    plain = Ports({"a": "x", "b": "y"})
    once = Ports(plain.get())
    twice = Ports(once.get())
    assert [map_history.refeeds(m) for m in (plain, once, twice)] == [0, 1, 2]


def test_copies_bindings_and_interpolation_keep_the_count() -> None:
    once = Ports(Ports({"a": "{{v}}"}).get())
    bound = once.bind(v="1")
    done, _ = bound.interpolate()
    assert [map_history.refeeds(m) for m in (once.copy(), bound, done)] == [1, 1, 1]
    assert dict(done.get()) == {"a": "1"}


def test_a_map_is_otherwise_unchanged() -> None:
    once = Ports(Ports({"b": "2", "a": "1"}).get())
    assert dict(once.get()) == {"a": "1", "b": "2"} and list(once.get()) == ["b", "a"]
    assert once == Ports({"b": "2", "a": "1"}) and hash(once.get()) == hash(Ports(
        {"b": "2", "a": "1"}).get())


def test_installing_twice_wraps_once() -> None:
    map_history.install()
    assert map_history.refeeds(Ports(Ports({"a": "b"}).get())) == 1
