"""The devcluster's web pages, over plain HTTP and in headless Chromium.

One devcluster running real tasks (process executor) for the module: a job made
by `aurora job create` from a job file whose cmdline and metadata carry markup,
jobs of other environments and roles made over thrift, and an update held in
progress (its first instance must stay RUNNING for ten minutes before it counts).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from aurora.api.idl import api
from tests.e2e.test_devcluster_updates import request, start
from tests.support import chromium
from tests.support.devcluster import Devcluster, wait_for
from tests.support.jobs import job, process, statuses

JOB_FILE = """
work = Process(name = 'work',
  cmdline = 'echo "<script>alert(1)</script> {{version}}"; sleep 300')
jobs = [Service(cluster = 'devcluster', role = 'www-data', environment = 'prod',
  name = '{{job}}', instances = 2,
  task = Task(processes = [work], resources = Resources(cpu = 0.1, ram = 16*MB, disk = 16*MB)),
  metadata = [Metadata(key = 'note', value = '<img src=x onerror=alert(2)>')],
  update_config = UpdateConfig(batch_size = 1, watch_secs = 600)).bind(version = 1, job = 'hello')]
"""
MARKUP = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>")


def fetch(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def page(cluster: Devcluster, path: str, code: int = 200) -> str:
    got, body, headers = fetch(cluster.url + path)
    assert got == code, f"{path}: {got}\n{body[:500]}"
    assert headers["Content-Type"].startswith("text/html")
    return body


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """The devcluster, a user of it, and the ids of what the tests look at."""
    from tests.conftest import Home

    root = tmp_path_factory.mktemp("pages")
    cluster = Devcluster(root / "state").start()
    (root / "home" / "home").mkdir(parents=True)
    home = Home(root / "home")
    home.use(cluster)
    (root / "hello.aurora").write_text(JOB_FILE)
    client = cluster.client()
    try:
        created = home.run("job", "create", "devcluster/www-data/prod/hello",
                           str(root / "hello.aurora"), "--wait-until", "RUNNING")
        assert created.returncode == 0, created.stderr
        web = job("web", [process("web", "sleep 300")], instances=3, service=True, env="prod")
        other = job("other", [process("other", "sleep 300")], env="test")
        theirs = job("theirs", [process("theirs", "sleep 300")], role="payments", env="prod")
        for config in (web, other, theirs):
            client.call("createJob", config)
        client.call("scheduleCronJob", job("nightly", [process("n", "echo nightly")],
                                           env="prod", cron="0 3 * * *"))
        for config in (web, other, theirs):
            wait_for(lambda c=config: set(statuses(client, c)) == {"RUNNING"}, timeout=60,
                     what=f"{config.key.name} running")
        web.taskConfig.executorConfig.data = web.taskConfig.executorConfig.data.replace(
            "sleep 300", "sleep 301")
        update = start(client, request(web, minWaitInInstanceRunningMs=600_000))
        yield {"cluster": cluster, "home": home, "root": root, "created": created.stdout,
               "update": update.id, "client": client}
    finally:
        cluster.stop()


def update_path(site: dict) -> str:
    return f"/scheduler/www-data/prod/web/update/{site['update']}"


# -- plain HTTP -------------------------------------------------------------------------
def test_every_page_answers_and_unknown_ones_are_404_pages(site):
    cluster = site["cluster"]
    for path in ("/", "/scheduler", "/scheduler/www-data", "/scheduler/www-data/prod",
                 "/scheduler/www-data/prod/hello", "/updates", update_path(site)):
        assert "<h1>" in page(cluster, path)
    for path, says in (("/scheduler/nobody", "No job of nobody exists"),
                       ("/scheduler/www-data/staging", "No job of www-data/staging exists"),
                       ("/scheduler/www-data/prod/nope", "No job www-data/prod/nope exists"),
                       ("/scheduler/www-data/prod/web/update/bogus", "No update bogus"),
                       (f"/scheduler/www-data/prod/hello/update/{site['update']}",
                        f"No update {site['update']} of job www-data/prod/hello"),
                       ("/scheduler/www-data/prod/web/tasks/0", "no such page")):
        assert says in page(cluster, path, 404), path
    assert fetch(cluster.url + "/nothing/here")[0] == 404


def test_role_and_environment_pages_list_only_their_jobs(site):
    cluster = site["cluster"]
    prod = page(cluster, "/scheduler/www-data/prod")
    assert "/scheduler/www-data/prod/hello" in prod and "/scheduler/www-data/prod/web" in prod
    assert "other" not in prod and "theirs" not in prod
    role = page(cluster, "/scheduler/www-data")
    assert "/scheduler/www-data/test/other" in role and "theirs" not in role
    assert "payments" not in role
    assert "/scheduler/payments/prod/theirs" in page(cluster, "/scheduler/payments")
    roles = page(cluster, "/scheduler")
    assert 'href="/scheduler/payments"' in roles and 'href="/scheduler/www-data"' in roles
    assert re.search(r'<a href="/scheduler/www-data/prod/web/update/[^"]+">ROLLING_FORWARD',
                     prod), "the role page links the active update"


def test_a_cron_job_shows_its_schedule(site):
    cluster = site["cluster"]
    assert re.search(r"nightly</a></td><td>\d+</td><td>.*?</td><td>0 3 \* \* \*</td>",
                     page(cluster, "/scheduler/www-data/prod"))
    body = page(cluster, "/scheduler/www-data/prod/nightly")
    assert "<dt>cron schedule</dt><dd>0 3 * * *</dd>" in body
    assert re.search(r'<dt>next cron run</dt><dd><time class="at" data-ms="\d+">', body)
    assert "No active instances." in body


def test_markup_from_a_job_file_shows_as_text(site):
    cluster = site["cluster"]
    status, body, headers = fetch(cluster.url + "/scheduler/www-data/prod/hello")
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(2)&gt;" in body
    assert not any(text in body for text in MARKUP)
    live = json.loads(fetch(cluster.url + "/live/scheduler/www-data/prod/hello")[1])
    assert not any(text in html for html in live["sections"].values() for text in MARKUP)


def test_the_job_page_shows_instances_events_config_and_updates(site):
    body = page(site["cluster"], "/scheduler/www-data/prod/web")
    assert body.count('class="st-row-running"') + body.count('class="st-row-killing"') + \
        body.count('class="st-row-pending"') >= 3
    for text in ("in state for", "last events", "Task is running" if "Task is running" in body
                 else "RUNNING", "Recent finished tasks", "Configuration", "sleep 30",
                 f"/scheduler/www-data/prod/web/update/{site['update']}", "127.0.0.1"):
        assert text in body, text


def test_the_update_page_shows_state_progress_and_settings(site):
    body = page(site["cluster"], update_path(site))
    assert 'class="st st-rolling_forward"' in body
    assert re.search(r'class="cell ph-active" data-instance="0"', body)
    assert len(re.findall(r'class="cell ph-todo" data-instance', body)) == 2
    for text in ("Batches", "Update events", "INSTANCE_UPDATING", "min time running (ms)",
                 "600000", "org.apache.aurora.client.update_id"):
        assert text in body, text


def test_the_live_endpoint_answers_sections_only_when_the_state_changed(site):
    cluster, client = site["cluster"], site["client"]
    path = "/live/scheduler/www-data/test/other"

    def live(since: str = "") -> dict:
        status, body, headers = fetch(f"{cluster.url}{path}?since={since}")
        assert status == 200 and headers["Content-Type"] == "application/json"
        return json.loads(body)

    first = live()
    assert set(first["sections"]) >= {"summary", "active", "finished", "updates"}
    assert "RUNNING" in first["sections"]["active"]
    steady = wait_for(lambda: (a := live()) and live(a["version"]).keys() == {"version"},
                      what="an answer without sections while nothing changes")
    assert steady
    before = live()["version"]
    client.kill_tasks(api().JobKey(role="www-data", environment="test", name="other"), None,
                      "killed from the pages test")
    changed = wait_for(lambda: (a := live(before)).get("sections") and
                       "No active instances" in a["sections"]["active"] and a,
                       what="the kill in the live sections")
    assert changed["version"] != before
    assert "KILLED" in changed["sections"]["finished"]
    missing = fetch(f"{cluster.url}/live/scheduler/www-data/test/gone")
    assert missing[0] == 404 and "No job" in json.loads(missing[1])["sections"]["missing"]


def test_every_url_the_client_prints_leads_to_its_page(site):
    cluster, home, root = site["cluster"], site["home"], site["root"]
    url = site["created"].split("job url=")[1].strip()
    assert url == f"{cluster.url}/scheduler/www-data/prod/hello"
    assert "Job www-data/prod/hello" in fetch(url)[1]
    for key, title in (("devcluster", "Roles"), ("devcluster/www-data", "Jobs of www-data"),
                       ("devcluster/www-data/prod", "Jobs of www-data/prod")):
        opened = home.run("job", "open", key)
        assert opened.returncode == 0, opened.stderr
        status, body, _ = fetch(opened.stdout.strip())
        assert status == 200 and f"<h1>{title}</h1>" in body
    rolled = home.run("job", "create", "devcluster/www-data/prod/rolled",
                      str(root / "hello.aurora"), "--bind", "job=rolled")
    assert rolled.returncode == 0, rolled.stderr
    started = home.run("update", "start", "devcluster/www-data/prod/rolled",
                       str(root / "hello.aurora"), "--bind", "job=rolled", "--bind", "version=2")
    assert started.returncode == 0, started.stderr
    link = re.search(r"View your update progress at (\S+)", started.stdout).group(1)
    status, body, _ = fetch(link)
    assert status == 200 and "ROLLING_FORWARD" in body and "progress" in body.lower()
    assert home.run("update", "abort", "devcluster/www-data/prod/rolled").returncode == 0
    assert "ABORTED" in wait_for(lambda: "ABORTED" in fetch(link)[1] and fetch(link)[1],
                                 what="the abort on the update page")


def test_pages_refuse_writes(site):
    request_ = urllib.request.Request(site["cluster"].url + "/scheduler/www-data/prod/hello",
                                      data=b"x", method="POST",
                                      headers={"Content-Type": "text/plain"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request_, timeout=10)
    assert refused.value.code == 404


# -- headless Chromium ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> chromium.Chromium:
    try:
        executable = chromium.find()
    except RuntimeError as exc:
        pytest.skip(f"headless Chromium is not available: {exc}")
    return chromium.Chromium(executable, tmp_path_factory.mktemp("chromium-profile"))


def test_the_job_page_in_chromium(site, browser, tmp_path: Path):
    url = site["cluster"].url + "/scheduler/www-data/prod/hello"
    dom = browser.dom(url)
    assert "<h1>Job www-data/prod/hello</h1>" in dom
    assert dom.count('class="st-row-running"') == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script>alert" not in dom and "<img src" not in dom.replace(
        "&lt;img src", "")
    assert re.search(r'id="live-state"> · live, updated', dom), "the page polled /live"
    assert re.search(r'title="\d+s ago"', dom), "the script keeps times current"
    shot = browser.screenshot(url, tmp_path / "job.png")
    print(f"screenshot of the job page: {shot}")


def test_the_update_page_in_chromium(site, browser, tmp_path: Path):
    url = site["cluster"].url + update_path(site)
    dom = browser.dom(url)
    assert re.search(r'id="update-status"><span class="st st-rolling_forward">ROLLING_FORWARD',
                     dom)
    assert 'class="cell ph-active" data-instance="0"' in dom
    assert dom.count('class="cell ph-todo" data-instance') == 2
    assert re.search(r'class="bar-active" data-w="33.33" style="width: 33.33%;"', dom), \
        "the script drew the progress bar"
    assert re.search(r'id="live-state"> · live, updated', dom)
    shot = browser.screenshot(url, tmp_path / "update.png")
    print(f"screenshot of the update page: {shot}")


def test_the_update_page_moves_with_the_clis_progress(site, browser, tmp_path: Path):
    """Watched during `aurora update start --wait`, the page follows the update in place
    (a mark left in the page's window survives: no reload) to ROLLED_FORWARD."""
    import subprocess

    from tests.conftest import aurora_bin

    home, root = site["home"], site["root"]
    job_file = root / "moving.aurora"
    job_file.write_text(JOB_FILE.replace("watch_secs = 600", "watch_secs = 4"))
    binds = ("--bind", "job=moving")
    created = home.run("job", "create", "devcluster/www-data/prod/moving", str(job_file), *binds,
                       "--wait-until", "RUNNING")
    assert created.returncode == 0, created.stderr
    cli = subprocess.Popen([aurora_bin(), "update", "start", "devcluster/www-data/prod/moving",
                            str(job_file), *binds, "--bind", "version=2", "--wait"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=home.env())
    try:
        line = ""
        while "View your update progress at" not in line:
            line = cli.stdout.readline()
            assert line, cli.stderr.read()
        link = line.split(" at ")[1].strip()
        tab = chromium.DevTools(browser.executable, tmp_path / "profile", link)
        try:
            loaded = ("document.readyState === 'complete' && "
                      "document.getElementById('update-done') !== null")
            wait_for(lambda: tab.evaluate(loaded), what="the update page loaded")
            tab.evaluate("window.notReloaded = true")
            seen = [tab.evaluate("document.getElementById('update-done').textContent")]
            while cli.poll() is None:
                seen.append(tab.evaluate("document.getElementById('update-done').textContent"))
                time.sleep(0.2)
            assert cli.returncode == 0, cli.stderr.read()
            final = wait_for(lambda: "ROLLED_FORWARD" in (tab.evaluate(
                "document.getElementById('update-status').textContent") or ""),
                timeout=15, what="ROLLED_FORWARD on the page")
            assert final
            seen.append(tab.evaluate("document.getElementById('update-done').textContent"))
            assert tab.evaluate("window.notReloaded") is True, "the page was reloaded"
            assert seen[0] == "0" and "1" in seen and seen[-1] == "2", seen
            print(f"instances done as the page showed them: {seen}")
        finally:
            tab.close()
    finally:
        if cli.poll() is None:
            cli.kill()
        cli.wait(timeout=30)
