"""Built-in output formats: `text` (the default), `json`, `yaml`, `table` and `csv`.

`table` and `csv` show a result as rows: a list of records (or one record),
nested fields flattened to dotted names (`assignedTask.instanceId`), lists as
compact JSON; `--columns a,b` picks and orders the columns. A site replaces any
format by shipping a plugin whose `format_output` answers for the same name:
site plugins are asked first.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

from aurora.command import CommandOption
from aurora.errors import UsageError
from aurora.hookspecs import hookimpl
from aurora.output import Result, batched, emit_err, escape_controls, use_color

PLAIN_KEY = r"[A-Za-z_][A-Za-z0-9_.-]*"      # a YAML key that needs no quotes (whole)


@functools.cache
def _pattern(text: str) -> re.Pattern[str]:
    """Patterns compiled when first used: most commands print no YAML and no colour."""
    return re.compile(text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(_cell(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


BOLD, RESET = "\033[1m", "\033[0m"
GREEN, RED, YELLOW = "\033[32m", "\033[31m", "\033[33m"
# Task states (ScheduleStatus) and update states (JobUpdateStatus) by what they mean:
# done well, gone wrong, on the way. KILLED (asked for) keeps the terminal's colour.
STATE_COLOURS = {
    **dict.fromkeys(("RUNNING", "FINISHED", "ROLLED_FORWARD"), GREEN),
    **dict.fromkeys(("FAILED", "LOST", "ERROR", "PARTITIONED", "ROLLED_BACK", "ROLLING_BACK",
                     "ROLL_BACK_PAUSED", "ROLL_BACK_AWAITING_PULSE"), RED),
    **dict.fromkeys(("PENDING", "THROTTLED", "INIT", "ASSIGNED", "STARTING", "RESTARTING",
                     "KILLING", "PREEMPTING", "DRAINING", "ROLLING_FORWARD",
                     "ROLL_FORWARD_PAUSED", "ROLL_FORWARD_AWAITING_PULSE", "ABORTED"), YELLOW),
}
STATE_WORD = r"\b(" + "|".join(sorted(STATE_COLOURS, key=len, reverse=True)) + r")\b"


def colour_states(text: str) -> str:
    """Task and update states in `text` painted by meaning (RUNNING green, FAILED red,
    PENDING yellow...): applied after escaping, only when `use_color()` says so."""
    return _pattern(STATE_WORD).sub(
        lambda m: f"{STATE_COLOURS[m.group(1)]}{m.group(1)}{RESET}", text)


def render_table(columns: list[str], rows: list[dict[str, Any]], color: bool = False) -> str:
    """Left-aligned columns under an upper-case header (bold on a colour terminal)."""
    cells = [[escape_controls(_cell(row.get(c)), keep="") for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = []
    for row in [[c.upper() for c in columns]] + cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    if color:
        lines = [f"{BOLD}{lines[0]}{RESET}", *map(colour_states, lines[1:])]
    return "\n".join(lines) + "\n"


def render_text(result: Result, color: bool = False) -> str | Iterator[str]:
    """The human rendering; control characters from the data (a task's message, a
    server's reply) are escaped so they cannot drive the terminal. Text given in
    pieces is escaped and written a batch at a time, never joined whole."""
    if result.text_pieces is None and result.columns is not None:   # cells escaped there
        records = result.records()
        return render_table(list(result.columns), records, color) if records else ""
    pieces = _text(result)
    paint = colour_states if color else _plain
    if len(pieces) == 1:
        return paint(escape_controls(pieces[0], keep="\n\t"))
    return (paint(escape_controls(batch, keep="\n\t")) for batch in batched(pieces))


def _plain(text: str) -> str:
    return text


def _text(result: Result) -> list[str]:
    pieces = result.text_pieces
    if pieces is not None:
        return pieces
    data = result.data
    if data is None:
        return [""]
    if isinstance(data, dict):
        return ["".join(f"{k}: {_cell(v)}\n" for k, v in data.items())]
    if isinstance(data, (list, tuple)):
        return ["".join(f"{_cell(v)}\n" for v in data)]
    return [f"{data}\n"]


def render_json(result: Result) -> Iterator[str]:
    """Indented JSON in pieces, written as it is made (a large job's is tens of MB)."""
    from aurora.jsontext import iterdumps

    yield from iterdumps({} if result.data is None else result.data)
    yield "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(str(value))           # a JSON string is a valid YAML scalar


def _yaml_key(key: Any) -> str:
    key = str(key)
    return key if _pattern(PLAIN_KEY).fullmatch(key) and key not in ("null", "true", "false") else \
        json.dumps(key)


def yaml_lines(data: Any, indent: int = 0) -> list[str]:
    """Block-style YAML for JSON-like data (what every verb's `data` is)."""
    pad = " " * indent
    if isinstance(data, dict):
        if not data:
            return [pad + "{}"]
        lines = []
        for key, value in data.items():
            if isinstance(value, (dict, list)) and value:
                lines.append(f"{pad}{_yaml_key(key)}:")
                lines += yaml_lines(value, indent + 2)
            else:
                lines.append(f"{pad}{_yaml_key(key)}: {yaml_lines(value)[0].strip()}")
        return lines
    if isinstance(data, (list, tuple)):
        if not data:
            return [pad + "[]"]
        lines = []
        for item in data:
            inner = yaml_lines(item, indent + 2)
            lines.append(f"{pad}- {inner[0].strip()}")
            lines += inner[1:]
        return lines
    return [pad + _scalar(data)]


def render_yaml(result: Result) -> str:
    data = {} if result.data is None else json.loads(json.dumps(result.data, default=str))
    return "\n".join(yaml_lines(data)) + "\n"


def flatten(record: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(record, dict):
        return {prefix or "value": record}
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name))
        elif isinstance(value, (list, tuple, dict)):
            flat[name] = json.dumps(value, separators=(",", ":"), default=str)
        else:
            flat[name] = value
    return flat


def rows_of(result: Result, wanted: list[str] | None) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, flat rows) of a result for table and csv output."""
    rows = [flatten(r) for r in result.records()]
    known: list[str] = list(result.columns or [])
    for row in rows:
        known += [k for k in row if k not in known]
    if wanted:
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise UsageError(f"unknown column '{unknown[0]}'",
                             hint=f"columns of this command: {', '.join(known) or 'none'}")
        return wanted, rows
    return known, rows


def render_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue()


class Formatter:
    """One output format: `render` turns a Result into the text written to stdout,
    whole or in pieces (an iterator, written as it comes).

    `columns` is what --columns asked for; only formats with `uses_columns`
    honour it.
    """

    name = ""
    uses_columns = False

    def render(self, result: Result, columns: list[str] | None) -> str | Iterator[str]:
        raise NotImplementedError


class TextFormat(Formatter):
    name = "text"

    def render(self, result: Result, columns: list[str] | None) -> str | Iterator[str]:
        return render_text(result, color=use_color())


class JsonFormat(Formatter):
    name = "json"

    def render(self, result: Result, columns: list[str] | None) -> str | Iterator[str]:
        return render_json(result)


class YamlFormat(Formatter):
    name = "yaml"

    def render(self, result: Result, columns: list[str] | None) -> str | Iterator[str]:
        return render_yaml(result)


class TableFormat(Formatter):
    name = "table"
    uses_columns = True

    def render(self, result: Result, columns: list[str] | None) -> str | Iterator[str]:
        names, rows = rows_of(result, columns)
        return render_table(names, rows, color=use_color()) if rows else ""


class CsvFormat(Formatter):
    name = "csv"
    uses_columns = True

    def render(self, result: Result, columns: list[str] | None) -> str | Iterator[str]:
        return render_csv(*rows_of(result, columns))


FORMATTERS: dict[str, Formatter] = {f.name: f for f in (
    TextFormat(), JsonFormat(), YamlFormat(), TableFormat(), CsvFormat())}


def _wanted_columns(context: Any) -> list[str] | None:
    text = context.options.columns
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


@hookimpl
def register_output_formats() -> list[str]:
    return list(FORMATTERS)


@hookimpl
def register_options(cli: Any) -> None:
    cli.add_global_option(CommandOption(
        "--columns", metavar="A,B,...", default=None,
        help="the columns of table and csv output, in this order"))


@hookimpl
def format_output(context: Any, result: Result,
                  format_name: str) -> str | Iterator[str] | None:
    formatter = FORMATTERS.get(format_name)
    if formatter is None:
        return None
    wanted = _wanted_columns(context)
    if wanted and not formatter.uses_columns:
        emit_err(f"aurora: warning: --columns applies to table and csv output only; "
                 f"ignored with {format_name} (add --output-format table)")
    return formatter.render(result, wanted)
