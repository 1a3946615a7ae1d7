"""Where a Map's pairs came from: the facts Python 2's key order depends on and
pystachio does not keep.

Under Python 2 the key order of a Map depends on the dicts its pairs went through
(`py2order.map_keys`):

* how the first dict was made: a dict display (`{'a': 1, ...}`) of more than five
  entries is sized up front (BUILD_MAP); `dict(key=value, ...)` fills a keyword dict
  last keyword first and merges it into a new dict; a dict built any other way (from
  pairs, by a comprehension, by code, a small display) grows key by key;
* how many times it was merged into a new dict since (`dict(d)`, `dict(**d)`,
  `d.copy()`), each merge laying the keys out again;
* how many times a Map's `get()` was fed into a Map again
  (`Announcer(portmap = other.portmap().get())`), each refeed copying key by key.

Under Python 3 every dict keeps its keys in their first order whatever their history.
So the job-file loader rewrites those few forms to call the helpers of `names()`
(`mark_sources`), which answer the same dict, marked (a `Made`, a dict in every other
way), and `install()`, once, before any job file runs, wraps four methods of
pystachio's MapContainer to carry the history:

* a Map made from a `Made` remembers how;
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
DISPLAY, KEYWORDS, MERGED, MERGED_UNPACKED, COPIED = (
    "__aurora_dict_display__", "__aurora_dict_keywords__", "__aurora_dict_merged__",
    "__aurora_dict_merged_unpacked__", "__aurora_dict_copied__")


class History(NamedTuple):
    made: str = ""               # "display", "keywords", or "" (built key by key)
    merges: int = 0              # times merged into a new dict since
    refeeds: int = 0             # times fed back from a Map's get()


NONE = History()


class Made(dict):
    """A dict whose making Python 2's key order depends on (see the module's docstring).

    Named `dict` for the job file's own messages: `'dict' object has no attribute ...`
    reads as the author wrote it."""

    made = ""
    merges = 0


Made.__name__ = Made.__qualname__ = "dict"


def _made(value: dict, made: str, merges: int) -> Made:
    marked = Made(value)
    marked.made, marked.merges = made, merges
    return marked


def _merged_from(source: Any, value: Any) -> Any:
    """`value`, a new dict merged from `source`, marked with one merge more."""
    if type(value) is not dict or not isinstance(source, dict):
        return value
    return _made(value, getattr(source, "made", ""), getattr(source, "merges", 0) + 1)


def _display(value: dict) -> Made:
    return _made(value, "display", 0)


def _keywords(callee: Any, **keywords: Any) -> Any:
    made = callee(**keywords)
    return _made(made, "keywords", 0) if callee is dict and type(made) is dict else made


def _merged(callee: Any, source: Any) -> Any:
    made = callee(source)
    return _merged_from(source, made) if callee is dict else made


def _merged_unpacked(callee: Any, source: Any) -> Any:
    made = callee(**source)
    return _merged_from(source, made) if callee is dict else made


def _copied(source: Any) -> Any:
    return _merged_from(source, source.copy())


def names() -> dict[str, Any]:
    """The names `mark_sources` makes a job file call."""
    return {DISPLAY: _display, KEYWORDS: _keywords, MERGED: _merged,
            MERGED_UNPACKED: _merged_unpacked, COPIED: _copied}


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


def _dict_call(node: Any) -> str | None:
    """Which marker a `dict(...)` call takes, if any."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "dict"):
        return None
    if not node.args and node.keywords and all(k.arg is not None for k in node.keywords):
        return KEYWORDS                                     # dict(key=value, ...)
    if len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred):
        return MERGED                                       # dict(other)
    if not node.args and len(node.keywords) == 1 and node.keywords[0].arg is None:
        return MERGED_UNPACKED                              # dict(**other)
    return None


def _is_copy_call(node: Any) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == "copy" and not node.args and not node.keywords


def _call(marker: str, args: list[ast.expr], keywords: list[ast.keyword],
          where: ast.AST) -> ast.Call:
    name = ast.copy_location(ast.Name(id=marker, ctx=ast.Load()), where)
    return ast.copy_location(ast.Call(func=name, args=args, keywords=keywords), where)


def _rewritten(node: Any) -> ast.Call | None:
    """The marker call standing for `node`, or None when it is not one of the forms."""
    if _is_large_display(node):
        return _call(DISPLAY, [node], [], node)
    if _is_copy_call(node):
        return _call(COPIED, [node.func.value], [], node)
    marker = _dict_call(node)
    if marker == KEYWORDS:
        return _call(KEYWORDS, [node.func], node.keywords, node)
    if marker == MERGED:
        return _call(MERGED, [node.func, node.args[0]], [], node)
    if marker == MERGED_UNPACKED:
        return _call(MERGED_UNPACKED, [node.func, node.keywords[0].value], [], node)
    return None


def mark_sources(tree: ast.Module) -> int:
    """Rewrite, in `tree`, each form whose making Python 2's key order depends on into a
    call of its marker (`names()`): large dict displays, `dict(key=value, ...)`,
    `dict(other)`, `dict(**other)` and `.copy()`; how many.

    Iterative (`ast.walk`): a deep expression never meets Python's recursion limit here."""
    marked = 0
    # Deepest first: a rewritten node is then built from children already rewritten.
    for parent in reversed(list(ast.walk(tree))):
        for field, value in ast.iter_fields(parent):
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                call = _rewritten(item)
                if call is None:
                    continue
                if isinstance(value, list):
                    value[index] = call
                else:
                    setattr(parent, field, call)
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
            self._map = _with(self._map, History(was.made, was.merges, was.refeeds + 1))
        elif len(args) == 1 and isinstance(args[0], Made):
            self._map = _with(self._map, History(args[0].made, args[0].merges))

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
