"""A page: its title, where it sits (breadcrumbs), and sections the script can refresh.

The whole page and its live refresh are made from the same `Page`: the HTML
document carries every section, the JSON answer (`live_json`) the same
sections' HTML by id, so what a refresh shows is exactly what a reload would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from string import Template

from aurora.devcluster.pages.markup import Markup, join, link, render


class NotFound(Exception):
    """The role, job or update a path names does not exist: a 404 page says which."""


@dataclass
class Section:
    id: str
    heading: str
    body: Markup
    live: bool = True            # replaced by a refresh
    folded: str | None = None    # a <details> summary: the section starts collapsed


@dataclass
class Page:
    title: str
    crumbs: list[tuple[str, list[str]]]          # (text, path segments) from the top
    sections: list[Section] = field(default_factory=list)
    live: bool = True                            # polls /live for its sections
    poll_ms: int = 2000


DOCUMENT = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<link rel="stylesheet" href="/static/pages.css">
<script src="/static/pages.js" defer></script>
</head><body data-live="$live" data-poll-ms="$poll" data-version="$version">
<header><nav>$crumbs</nav><nav class="right"><a href="/updates">updates</a></nav></header>
<main><h1>$title</h1>
$sections
</main>
<footer>aurora-devcluster<span id="live-state"></span></footer>
</body></html>
""")
SECTION = Template('<section><h2>$heading</h2><div id="$id">$body</div></section>\n')
FOLDED = Template('<section><details><summary><h2>$heading</h2> $summary</summary>'
                  '<div id="$id">$body</div></details></section>\n')


def crumbs(page: Page) -> Markup:
    return join([link("devcluster", "scheduler")] +
                [link(text, *path) for text, path in page.crumbs], " / ")


def document(page: Page, live_path: str, version: str) -> Markup:
    """The whole HTML page."""
    sections = join(
        render(FOLDED, heading=s.heading, summary=s.folded, id=s.id, body=s.body)
        if s.folded is not None else render(SECTION, heading=s.heading, id=s.id, body=s.body)
        for s in page.sections)
    return render(DOCUMENT, title=page.title, crumbs=crumbs(page), sections=sections,
                  live=live_path if page.live else "", poll=page.poll_ms, version=version)


def not_found(message: str) -> Page:
    return Page("Not found", [], [Section("missing", "Nothing here", render(
        Template('<p class="missing">$message</p><p><a href="/scheduler">All roles</a> · '
                 '<a href="/updates">recent updates</a></p>'), message=message))], live=False)


def live_json(page: Page | None, version: str) -> bytes:
    """The refresh answer: the state's version and, when it changed, the live sections."""
    answer: dict = {"version": version}
    if page is not None:
        answer["title"] = page.title
        answer["sections"] = {s.id: str(s.body) for s in page.sections if s.live}
    return json.dumps(answer, separators=(",", ":")).encode()
