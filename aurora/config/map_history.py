"""Where a Map's pairs came from: the facts Python 2's key order depends on and
pystachio does not keep.

Under Python 2 the key order of a Map depends on the dicts its pairs went through
(`py2order.map_keys`):

* a dict display (`{'a': 1, ...}`) of more than five entries is sized up front
  (BUILD_MAP); `dict(key=value, ...)` fills a keyword dict last keyword first and
  then merges it into a new dict; a dict built any other way (from pairs, by a
  comprehension, by code) grows key by key. Each can order the same keys differently;
* a `get()` result fed into a Map again (`Announcer(portmap = other.portmap().get())`)
  is copied key by key, and each such refeed can move keys.

Under Python 3 every Map keeps its pairs in their first order whatever their history.
So the job-file loader marks large dict displays and `dict(key=value, ...)` calls
(`mark_sources`: they make a `Display` or a `Keywords`, dicts in every other way),
and `install()`, once, before any job file runs, wraps four methods of pystachio's
MapContainer to carry the history:

* a Map made from a `Display` or a `Keywords` remembers it was;
* `get()` answers a frozendict that remembers its Map's history, and a Map made from
  it counts one more refeed;
* `dup()` (behind `copy`, `bind` and `in_scope`) and `interpolate()` keep it.

The history rides on the Map's pair tuple (`_map`), as pystachio's Maps have no room
for another attribute; nothing else in a Map changes. `history(map)` reads it.
"""

from __future__ import annotations

import ast
from typing import Any, NamedTuple

# Python 2 sizes a display's table up front only above this many entries.
PRESIZED_ABOVE = 5
DISPLAY, KEYWORDS = "__aurora_dict_display__", "__aurora_dict_keywords__"


class History(NamedTuple):
    made: str = ""               # "display", "keywords", or "" (built key by key)
    refeeds: int = 0             # times fed back from a get()


NONE = History()


class Display(dict):
    """A dict written as a display of more than five entries in a job file."""


class Keywords(dict):
    """A dict a job file made with `dict(key=value, ...)`."""


def keywords(value: Any) -> Any:
    """What a job file's `dict(key=value, ...)` made, marked when it is a dict (a file
    may call something else `dict`)."""
    return Keywords(value) if type(value) is dict else value


def names() -> dict[str, Any]:
    """The names `mark_sources` makes a job file call."""
    return {DISPLAY: Display, KEYWORDS: keywords}


class _Pairs(tuple):
    """A Map's pairs, with their history."""

    history = NONE


def _with(pairs: tuple, history: History) -> tuple:
    if history == NONE:
        return pairs
    marked = _Pairs(pairs)
    marked.history = history
    return marked


def history(value: Any) -> History:
    """The history of Map `value`'s pairs."""
    return getattr(value._map, "history", NONE)


def _is_large_display(node: Any) -> bool:
    return isinstance(node, ast.Dict) and len(node.keys) > PRESIZED_ABOVE \
        and None not in node.keys                           # None: `**other`


def _is_keywords_dict(node: Any) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id == "dict" and not node.args and bool(node.keywords) \
        and all(k.arg is not None for k in node.keywords)  # None: `**other`


def _wrapped(node: ast.expr, marker: str) -> ast.Call:
    name = ast.copy_location(ast.Name(id=marker, ctx=ast.Load()), node)
    return ast.copy_location(ast.Call(func=name, args=[node], keywords=[]), node)


def _marker(node: Any) -> str | None:
    if _is_large_display(node):
        return DISPLAY
    return KEYWORDS if _is_keywords_dict(node) else None


def mark_sources(tree: ast.Module) -> int:
    """Wrap each dict display of more than five entries and each `dict(key=value, ...)`
    in `tree` in its marker's call (`names()`); how many.

    Iterative (`ast.walk`): a deep expression never meets Python's recursion limit here."""
    marked = 0
    for parent in list(ast.walk(tree)):
        for field, value in ast.iter_fields(parent):
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                marker = _marker(item)
                if marker is None:
                    continue
                if isinstance(value, list):
                    value[index] = _wrapped(item, marker)
                else:
                    setattr(parent, field, _wrapped(item, marker))
                marked += 1
    return marked


def install() -> None:
    """Wrap MapContainer's methods (once per process; see the module's docstring)."""
    from pystachio.container import MapContainer
    from pystachio.naming import frozendict

    if getattr(MapContainer, "_aurora_keeps_history", False):
        return

    class Got(frozendict):
        """A Map's `get()`, remembering its Map's history."""

        history = NONE

    init, get, dup, interpolate = (MapContainer.__init__, MapContainer.get,
                                   MapContainer.dup, MapContainer.interpolate)

    def kept_init(self: Any, *args: Any) -> None:
        init(self, *args)
        if len(args) == 1 and isinstance(args[0], Got):
            was = args[0].history
            self._map = _with(self._map, History(was.made, was.refeeds + 1))
        elif len(args) == 1 and isinstance(args[0], (Display, Keywords)):
            made = "display" if isinstance(args[0], Display) else "keywords"
            self._map = _with(self._map, History(made))

    def kept_get(self: Any) -> Any:
        got = Got(get(self))
        got.history = history(self)
        return got

    def kept_dup(self: Any) -> Any:
        copy = dup(self)
        copy._map = _with(copy._map, history(self))
        return copy

    def kept_interpolate(self: Any) -> Any:
        done, unbound = interpolate(self)
        done._map = _with(done._map, history(self))
        return done, unbound

    MapContainer.__init__ = kept_init
    MapContainer.get = kept_get
    MapContainer.dup = kept_dup
    MapContainer.interpolate = kept_interpolate
    MapContainer._aurora_keeps_history = True
