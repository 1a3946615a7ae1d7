"""The devcluster's web pages: which path is which page, and the answer to a GET.

Paths (every one the client prints or opens exists):
  /, /scheduler                       roles
  /scheduler/ROLE[/ENV]               that role's (environment's) jobs
  /scheduler/ROLE/ENV/JOB             one job
  /scheduler/ROLE/ENV/JOB/update/ID   one update (`aurora update start` links here)
  /updates                            recent updates across jobs
  /live/<any path above>?since=V      the page's live sections as JSON (its script polls)
  /static/pages.css, /static/pages.js
A view reads the store (under its lock, briefly) and returns a `Page`; the HTML
is made after the lock is released. No page changes state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from aurora.devcluster.pages import job, overview, update
from aurora.devcluster.pages.page import NotFound, Page, document, live_json, not_found
from aurora.devcluster.pages.reads import version

log = logging.getLogger("aurora.devcluster")
STATIC = {"pages.css": "text/css; charset=utf-8",
          "pages.js": "text/javascript; charset=utf-8"}
SECURITY = {"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src "
                                       "'self'; img-src 'self'; connect-src 'self'; base-uri "
                                       "'none'; form-action 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store"}
HTML = "text/html; charset=utf-8"


@dataclass
class Reply:
    code: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=lambda: dict(SECURITY))


View = Callable[[Any, list[str]], Page]


def view_of(parts: list[str]) -> View | None:
    """The view a path's segments (after /scheduler) name, or None."""
    if not parts:
        return overview.roles
    if len(parts) <= 2:
        return overview.role
    if len(parts) == 3:
        return job.view
    if len(parts) == 5 and parts[3] == "update":
        return update.view
    return None


def route(path: str) -> tuple[View | None, list[str]]:
    segments = [unquote(p) for p in path.split("/") if p]
    if not segments:
        return overview.roles, []
    if segments[0] == "scheduler":
        return view_of(segments[1:]), segments[1:]
    if segments == ["updates"]:
        return overview.updates, []
    return None, segments


def respond(server: Any, path: str, query: str) -> Reply | None:
    """The answer to GET `path`, or None when no page lives there."""
    if path.startswith("/static/"):
        return static(path[len("/static/"):])
    live = path == "/live" or path.startswith("/live/")
    if live:
        path = path[len("/live"):]
    chosen, parts = route(path)
    if chosen is None:
        missing = not_found("There is no such page on this devcluster.")
        if live:
            return Reply(404, live_json(missing, ""), "application/json")
        return page_reply(404, missing, path, "") if path.startswith("/scheduler") else None
    store = server.handler.store
    now = version(store)
    since = parse_qs(query).get("since", [""])[0]
    if live and since == now:
        return Reply(200, live_json(None, now), "application/json")
    try:
        page, code = chosen(server.handler, parts), 200
    except NotFound as missing:
        page, code = not_found(str(missing)), 404
    if live:
        return Reply(code, live_json(page, now), "application/json")
    return page_reply(code, page, path, now)


def page_reply(code: int, page: Page, path: str, now: str) -> Reply:
    return Reply(code, document(page, f"/live{path}", now).encode(), HTML)


def static(name: str) -> Reply | None:
    if name not in STATIC:
        return None
    body = (Path(__file__).parent / "static" / name).read_bytes()
    reply = Reply(200, body, STATIC[name])
    reply.headers["Cache-Control"] = "max-age=300"
    return reply
