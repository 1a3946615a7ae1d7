"""How many times a Map's pairs came from another Map's `get()`.

Under Python 2 the key order of a Map depends on the dicts its pairs went through:
a dict literal is copied once (`dict.copy()` sizing), but a `get()` result fed into
a Map again (`Announcer(portmap = other.portmap().get())`) is copied key by key, and
each such refeed can move keys (`py2order.map_keys`). Under Python 3 every Map keeps
its pairs in the literal's order whatever their history, and pystachio keeps no trace
of that history. So, once, before any job file runs, `install()` wraps four methods of
pystachio's MapContainer to count it:

* `get()` answers a frozendict that remembers the count of the Map it came from;
* a Map built from such a frozendict counts one more refeed;
* `dup()` (behind `copy`, `bind` and `in_scope`) and `interpolate()` keep the count.

The count rides on the Map's pair tuple (`_map`), as pystachio's Maps have no room
for another attribute; nothing else in a Map changes. `refeeds(map)` reads it.
"""

from __future__ import annotations

from typing import Any


class _Pairs(tuple):
    """A Map's pairs, with how many refeeds they went through."""

    refeeds = 0


def _with_refeeds(pairs: tuple, count: int) -> tuple:
    if count == 0:
        return pairs
    counted = _Pairs(pairs)
    counted.refeeds = count
    return counted


def refeeds(value: Any) -> int:
    """How many times the pairs of Map `value` were fed back from a `get()`."""
    return getattr(value._map, "refeeds", 0)


def install() -> None:
    """Wrap MapContainer's methods (once per process; see the module's docstring)."""
    from pystachio.container import MapContainer
    from pystachio.naming import frozendict

    if getattr(MapContainer, "_aurora_counts_refeeds", False):
        return

    class Got(frozendict):
        """A Map's `get()`, remembering its Map's refeeds."""

        refeeds = 0

    init, get, dup, interpolate = (MapContainer.__init__, MapContainer.get,
                                   MapContainer.dup, MapContainer.interpolate)

    def counted_init(self: Any, *args: Any) -> None:
        init(self, *args)
        if len(args) == 1 and isinstance(args[0], Got):
            self._map = _with_refeeds(self._map, args[0].refeeds + 1)

    def counted_get(self: Any) -> Any:
        got = Got(get(self))
        got.refeeds = refeeds(self)
        return got

    def counted_dup(self: Any) -> Any:
        copy = dup(self)
        copy._map = _with_refeeds(copy._map, refeeds(self))
        return copy

    def counted_interpolate(self: Any) -> Any:
        done, unbound = interpolate(self)
        done._map = _with_refeeds(done._map, refeeds(self))
        return done, unbound

    MapContainer.__init__ = counted_init
    MapContainer.get = counted_get
    MapContainer.dup = counted_dup
    MapContainer.interpolate = counted_interpolate
    MapContainer._aurora_counts_refeeds = True
