"""HTML for the devcluster's pages, escaped by default.

A value becomes HTML only through `render`, `escape` or `join`: anything that is
not already `Markup` is escaped on the way in, so a job file's cmdline or
metadata shows as text whatever it holds. Templates are `string.Template`s
whose text is ours; only `Markup` produced here is ever inserted unescaped.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from functools import lru_cache
from string import Template
from typing import Any
from urllib.parse import quote


class Markup(str):
    """Text known to be HTML (made here, its values escaped)."""

    __slots__ = ()


def escape(value: Any) -> Markup:
    """`value` as HTML text: Markup as it is, None as empty, anything else escaped."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def render(template: Template, **values: Any) -> Markup:
    """The template with every value escaped (Markup values inserted as they are)."""
    return Markup(template.substitute({k: escape(v) for k, v in values.items()}))


def join(parts: Iterable[Any], sep: str = "") -> Markup:
    """Pieces of HTML one after the other; a piece that is not Markup is escaped."""
    return Markup(sep.join(escape(p) for p in parts))


def href(*segments: Any) -> Markup:
    """An absolute path from segments, each percent-encoded (then HTML-escaped)."""
    return escape("/" + "/".join(quote(str(s), safe="") for s in segments))


def link(text: Any, *segments: Any) -> Markup:
    return render(LINK, href=href(*segments), text=text)


LINK = Template('<a href="$href">$text</a>')


@lru_cache(maxsize=65536)      # pages show the same moments many times (one per batch)
def stamp(ms: int | None) -> Markup:
    """A moment as local date and time, with its milliseconds for the page's script
    (which adds how long ago it was)."""
    if not ms:
        return Markup("")
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))
    return render(STAMP, ms=int(ms), text=text)


STAMP = Template('<time class="at" data-ms="$ms">$text</time>')


def duration(ms: int) -> str:
    """A span of time as people read it: 45s, 3m 12s, 2h 5m, 3d 4h."""
    seconds = max(0, int(ms // 1000))
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60),
                                      ("m", 60, "s", 1)):
        if seconds >= size:
            return f"{seconds // size}{unit} {seconds % size // sub_size}{sub}"
    return f"{seconds}s"


def age(since_ms: int | None, now_ms: int) -> Markup:
    """How long since `since_ms`, kept current by the page's script."""
    if not since_ms:
        return Markup("")
    return render(AGE, ms=int(since_ms), text=duration(now_ms - since_ms))


AGE = Template('<span class="age" data-ms="$ms">$text</span>')


@lru_cache(maxsize=4096)
def state(name: str, text: Any = None) -> Markup:
    """A state name in its colour (the class is the name, lower case)."""
    return render(STATE, cls=name.lower(), text=name if text is None else text)


STATE = Template('<span class="st st-$cls">$text</span>')


def table(headings: Iterable[str], rows: Iterable[Markup], empty: str = "none") -> Markup:
    """A table of ready rows (`<tr>...</tr>` Markup); a line saying `empty` when none."""
    body = join(rows)
    if not body:
        return render(EMPTY, text=empty)
    head = join(render(TH, text=h) for h in headings)
    return render(TABLE, head=head, body=body)


TH = Template("<th>$text</th>")
TABLE = Template("<table><thead><tr>$head</tr></thead><tbody>$body</tbody></table>")
EMPTY = Template('<p class="empty">$text</p>')


def row(*cells: Any, cls: str = "") -> Markup:
    """One table row; each cell escaped unless Markup."""
    inner = "".join(f"<td>{escape(c)}</td>" for c in cells)
    return Markup(f'<tr class="{escape(cls)}">{inner}</tr>' if cls else f"<tr>{inner}</tr>")


def pairs(items: Iterable[tuple[str, Any]]) -> Markup:
    """A definition list of (name, value)."""
    return join(render(PAIR, name=k, value=v) for k, v in items)


PAIR = Template("<dt>$name</dt><dd>$value</dd>")
