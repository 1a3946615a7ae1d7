"""The site example's own tests, written with the client's test kit (aurora.testing):
a devcluster on a free port, an isolated user, and the installed `aurora`."""

from __future__ import annotations

from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _installed(install_aurora_plugin) -> None:
    install_aurora_plugin(PACKAGE)


def test_plugins_list_shows_the_site_plugins(run_aurora) -> None:
    listed = {p["name"]: p for p in run_aurora("plugins", "list", "--write-json").json}
    for name in ("site", "site-policy", "site-audit", "site-markdown"):
        assert listed[name]["status"] == "loaded", listed[name]
        assert listed[name]["distribution"] == "aurora-site-example"


def test_the_site_noun_answers(run_aurora, aurora_devcluster) -> None:
    done = run_aurora("site", "clusters", "--write-json")
    assert done.exit_code == 0, done.stderr
    assert [row["cluster"] for row in done.json] == ["devcluster"]
    assert done.json[0]["scheduler_uri"] == aurora_devcluster.url
