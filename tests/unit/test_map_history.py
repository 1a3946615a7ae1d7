"""Where a Map's pairs came from (map_history.py): large dict displays, dict(k=v, ...)
and refeeds."""

from __future__ import annotations

import ast

import pytest
from pystachio import Map, String

from aurora.config import map_history

map_history.install()
Ports = Map(String, String)
EIGHT = {f"k{i}": "v" for i in range(8)}


def test_a_map_from_code_has_no_history_and_each_feed_of_a_get_adds_a_refeed() -> None:
    plain = Ports({"a": "x", "b": "y"})
    once = Ports(plain.get())
    twice = Ports(once.get())
    assert [map_history.history(m).refeeds for m in (plain, once, twice)] == [0, 1, 2]
    assert not any(map_history.history(m).made for m in (plain, once, twice))


def test_a_display_is_remembered_through_refeeds() -> None:
    shown = Ports(map_history.names()[map_history.DISPLAY](EIGHT))
    again = Ports(shown.get())
    assert map_history.history(shown) == map_history.History("display", 0, refeeds=0)
    assert map_history.history(again) == map_history.History("display", 0, refeeds=1)
    made = map_history.names()[map_history.KEYWORDS](dict, a="1")
    assert map_history.history(Ports(made)) == map_history.History("keywords")


def test_copies_bindings_and_interpolation_keep_the_history() -> None:
    once = Ports(Ports({"a": "{{v}}"}).get())
    bound = once.bind(v="1")
    done, _ = bound.interpolate()
    assert [map_history.history(m).refeeds for m in (once.copy(), bound, done)] == [1, 1, 1]
    assert dict(done.get()) == {"a": "1"}


def test_a_map_is_otherwise_unchanged() -> None:
    once = Ports(Ports({"b": "2", "a": "1"}).get())
    assert dict(once.get()) == {"a": "1", "b": "2"} and list(once.get()) == ["b", "a"]
    assert once == Ports({"b": "2", "a": "1"}) and hash(once.get()) == hash(Ports(
        {"b": "2", "a": "1"}).get())


def test_the_forms_python_2_orders_differently_are_marked_and_nothing_else() -> None:
    source = ("a = {'p': 1}\nb = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6}\nc = {**b}\n"
              "d = {k: 1 for k in b}\ne = dict(x=1, y=2)\nf = dict(a, x=1)\ng = dict(**a)\n"
              "h = dict(e)\ni = b.copy()\nj = [1].copy()\n"
              "def dict(**kw):\n    return sorted(kw)\nk = dict(x=1)\n")
    namespace = map_history.names()
    tree = ast.parse(source)
    assert map_history.mark_sources(tree) == 7     # b, e, g, h, i, j and k (by name)
    exec(compile(tree, "<job>", "exec"), namespace)
    made = {name: ("Made" if type(namespace[name]) is map_history.Made
                   else type(namespace[name]).__name__, getattr(namespace[name], "made", None),
                   getattr(namespace[name], "merges", None)) for name in "abcdefghijk"}
    assert made == {"a": ("dict", None, None), "b": ("Made", "display", 0),
                    "c": ("dict", None, None), "d": ("dict", None, None),
                    "e": ("Made", "keywords", 0), "f": ("dict", None, None),
                    "g": ("Made", "", 1), "h": ("Made", "keywords", 1),
                    "i": ("Made", "display", 1), "j": ("list", None, None),
                    "k": ("list", None, None)}


def test_installing_twice_wraps_once() -> None:
    map_history.install()
    assert map_history.history(Ports(Ports({"a": "b"}).get())).refeeds == 1


def test_a_job_file_nesting_deeper_than_a_syntax_tree_compiles_still_loads() -> None:
    """Compiling a syntax tree allows less nesting than compiling source: such a file is
    compiled from its source as before (its displays then unmarked)."""
    from aurora.config.loader import _compiled

    source = "d = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6}\nx = " + "+".join(["1"] * 2500) + "\n"
    namespace: dict = {}
    exec(_compiled(source, "deep.aurora"), namespace)
    assert namespace["x"] == 2500 and type(namespace["d"]) is dict


def test_a_marked_dict_reads_as_a_dict_in_a_job_files_own_errors() -> None:
    shown = map_history.names()[map_history.DISPLAY](EIGHT)
    with pytest.raises(AttributeError, match="^'dict' object has no attribute 'nope'$"):
        shown.nope()
