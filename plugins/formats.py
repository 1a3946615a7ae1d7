"""Built-in output formats: `text` (human, the default) and `json` (for scripts).

A site replaces either one by shipping a plugin whose `format_output` answers
for the same name: site plugins are asked first.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from aurora.hookspecs import hookimpl
from aurora.output import Result, use_color

FORMATS = ["text", "json"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(_cell(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


BOLD, RESET = "\033[1m", "\033[0m"


def render_table(columns: list[str], rows: list[dict[str, Any]], color: bool = False) -> str:
    """Left-aligned columns under an upper-case header (bold on a colour terminal)."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = []
    for row in [[c.upper() for c in columns]] + cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    if color:
        lines[0] = f"{BOLD}{lines[0]}{RESET}"
    return "\n".join(lines) + "\n"


def render_text(result: Result, color: bool = False) -> str:
    if result.text is not None:
        return result.text
    data = result.data
    if data is None:
        return ""
    if result.columns is not None:
        return render_table(list(result.columns), data, color) if data else ""
    if isinstance(data, dict):
        return "".join(f"{k}: {_cell(v)}\n" for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return "".join(f"{_cell(v)}\n" for v in data)
    return f"{data}\n"


def render_json(result: Result) -> str:
    data = {} if result.data is None else result.data
    return json.dumps(data, indent=2, separators=(",", ": "), default=str) + "\n"


@hookimpl
def register_output_formats() -> list[str]:
    return FORMATS


@hookimpl
def format_output(context: Any, result: Result, format_name: str) -> str | None:
    if format_name == "text":
        return render_text(result, color=use_color(sys.stdout))
    if format_name == "json":
        return render_json(result)
    return None
