"""The pages' escaping, and that a 10,000-instance job page is cheap and renders
without the store's lock."""

from __future__ import annotations

import time
from types import SimpleNamespace

from aurora.api.idl import api
from aurora.devcluster.pages import job, markup, page
from aurora.devcluster.store import Store
from tests.support.jobs import job as job_config
from tests.support.jobs import process

INSTANCES = 10_000


def test_values_are_escaped_unless_they_are_markup():
    from string import Template

    hostile = "<script>alert('x')</script>&"
    made = markup.render(Template("<td>$cell</td>"), cell=hostile)
    assert made == "<td>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;</td>"
    assert markup.render(Template("<p>$x</p>"), x=made) == f"<p>{made}</p>"
    assert markup.row(hostile, None, 3) == \
        "<tr><td>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;</td><td></td><td>3</td></tr>"
    assert markup.href("scheduler", 'a"b', "c/d") == "/scheduler/a%22b/c%2Fd"
    assert markup.duration(3_725_000) == "1h 2m" and markup.duration(500) == "0s"


def big_store(tmp_path) -> Store:
    store = Store(str(tmp_path / "state.db"))
    config = job_config("big", [process("p", "echo '<b>' && sleep 300")], env="prod",
                        instances=INSTANCES, service=True)
    status = api().ScheduleStatus
    ids = [f"task-{i}" for i in range(INSTANCES)]
    with store.transaction():
        digest = store.put_config(config.taskConfig)
        store.add_tasks(ids, config.key, list(range(INSTANCES)), digest, 0, None, "created",
                        int(time.time() * 1000))
        for state in (status.ASSIGNED, status.STARTING, status.RUNNING):
            store.set_status_many(ids, state, f"now {state}")
    return store


def test_a_10000_instance_job_page_renders_quickly_and_without_the_lock(tmp_path,
                                                                        monkeypatch):
    store = big_store(tmp_path)
    handler = SimpleNamespace(store=store)
    held_while_escaping = []
    escape = markup.escape

    def watching(value):
        held_while_escaping.append(store.lock._is_owned())
        return escape(value)

    monkeypatch.setattr(markup, "escape", watching)
    started = time.perf_counter()
    shown = page.document(job.view(handler, ["www-data", "prod", "big"]), "/live/x", "1")
    took = time.perf_counter() - started
    assert shown.count('class="st-row-running"') == INSTANCES
    assert held_while_escaping and not any(held_while_escaping), \
        "the page was rendered while holding the store's lock"
    print(f"10,000-instance job page: {took:.2f} s, {len(shown) / 1e6:.1f} MB")
    assert took < 5, f"a 10,000-instance job page took {took:.1f} s"    # ~0.3 s measured
