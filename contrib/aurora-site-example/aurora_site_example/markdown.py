"""A site output format: Markdown tables, for pasting into tickets and wikis."""

from __future__ import annotations

from typing import Any

from aurora.hookspecs import hookimpl


def _rows(result: Any) -> tuple[list[str], list[dict[str, Any]]]:
    records = [r if isinstance(r, dict) else {"value": r} for r in result.records()]
    columns = list(result.columns or [])
    for record in records:
        columns += [k for k in record if k not in columns]
    return columns, records


@hookimpl
def register_output_formats() -> list[str]:
    return ["markdown"]


@hookimpl
def format_output(context: Any, result: Any, format_name: str) -> str | None:
    if format_name != "markdown":
        return None
    columns, records = _rows(result)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for record in records:
        cells = [str(record.get(c, "")).replace("|", "\\|") for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
