"""Links to the scheduler's web pages for a job or a cluster, and opening them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aurora.api.urls import child
from aurora.jobkey import JobKey

if TYPE_CHECKING:
    from aurora.command import Context


def display_url(context: Context, cluster_name: str) -> str:
    """The scheduler's web address: `proxy_url` when set, else the API endpoint's base."""
    from aurora.api.transport import without_userinfo

    cluster = context.get_cluster(cluster_name)
    return without_userinfo(cluster.get("proxy_url") or context.endpoints.get(cluster))


def job_page(context: Context, key: JobKey) -> str:
    """The web page of one job."""
    return job_url(context, key.cluster, key.role, key.env, key.name)


def job_url(context: Context, cluster: str, *parts: str | None) -> str:
    """`<base>/scheduler/role/env/name`; keeps a base path, which upstream loses."""
    base = display_url(context, cluster)
    path = "/".join(p for p in parts if p)
    return child(base, "scheduler") + (
        f"/{path}" if path else "")


def open_in_browser(url: str) -> bool:
    """Open `url` in a new browser tab when a browser is available; True when opened."""
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return bool(webbrowser.open_new_tab(url))
