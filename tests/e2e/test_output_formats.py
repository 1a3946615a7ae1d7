"""Every command's JSON matches docs/output.md; yaml, table and csv render the same data."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from tests.conftest import FIXTURES, ROOT

DOC = (ROOT / "docs" / "output.md").read_text()
SERVICE = str(FIXTURES / "jobs" / "service.aurora")
CRON = str(FIXTURES / "jobs" / "cron_policy.aurora")


def documented() -> dict[str, list[Any]]:
    """Heading `### `a` and `b`` → the JSON examples under it."""
    found: dict[str, list[Any]] = {}
    for section in re.split(r"^### ", DOC, flags=re.M)[1:]:
        title, _, body = section.partition("\n")
        examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", body, re.S)]
        for verb in re.findall(r"`([a-z]+ [a-z-]+)`", title):
            found[verb] = examples
    return found


def same_shape(doc: Any, real: Any, where: str = "") -> None:
    if isinstance(doc, dict):
        assert isinstance(real, dict), f"{where}: expected an object, got {real!r}"
        missing = set(doc) - set(real)
        assert not missing, f"{where}: documented keys missing: {sorted(missing)}"
        for key in doc:
            same_shape(doc[key], real[key], f"{where}.{key}")
    elif isinstance(doc, list):
        assert isinstance(real, list), f"{where}: expected a list, got {real!r}"
        if doc and real:                  # the documented item matches some real item
            errors = []
            for item in real:
                try:
                    same_shape(doc[0], item, f"{where}[]")
                    return
                except AssertionError as exc:
                    errors.append(exc)
            raise errors[0]
    elif isinstance(doc, bool) or isinstance(real, bool):
        assert isinstance(doc, bool) == isinstance(real, bool) or doc is None or real is None, \
            f"{where}: {doc!r} vs {real!r}"
    elif isinstance(doc, (int, float)):
        assert isinstance(real, (int, float)) or real is None, f"{where}: {real!r} not a number"
    elif isinstance(doc, str):
        assert isinstance(real, str), f"{where}: {real!r} not a string"


def as_json(home, *args: str) -> Any:
    done = home.run(*args, "--output-format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_command_matches_its_documented_json(dev_home):
    docs = documented()
    key = "devcluster/www-data/test/shapes"
    bind = ("--bind", "job=shapes", "--bind", "count=2")
    real = {
        "job create": as_json(dev_home, "job", "create", key, SERVICE, *bind, "--wait-until",
                              "RUNNING"),
        "job status": as_json(dev_home, "job", "status", key),
        "sla get-task-up-count": as_json(dev_home, "sla", "get-task-up-count", key,
                                         "--durations", "1s"),
        "sla get-job-uptime": as_json(dev_home, "sla", "get-job-uptime", key),
        "job list": as_json(dev_home, "job", "list", "devcluster/www-data/test/shapes"),
        "job open": as_json(dev_home, "job", "open", key),
        "job inspect": as_json(dev_home, "job", "inspect", key, SERVICE, *bind),
        "job diff": as_json(dev_home, "job", "diff", key, SERVICE, *bind),
        "job add": as_json(dev_home, "job", "add", f"{key}/0", "1"),
        "job restart": as_json(dev_home, "job", "restart", f"{key}/2", "--watch-secs", "0",
                               "--healthcheck-interval-seconds", "0.2"),
        "job kill": as_json(dev_home, "job", "kill", f"{key}/2"),
        "job killall": as_json(dev_home, "job", "killall", key),
        "quota set": as_json(dev_home, "quota", "set", "devcluster/shapes-role", "--cpus", "1",
                             "--ram", "1GB", "--disk", "1GB"),
        "quota get": as_json(dev_home, "quota", "get", "devcluster/shapes-role"),
        "plugins list": as_json(dev_home, "plugins", "list"),
        "config list": as_json(dev_home, "config", "list", SERVICE, *bind),
    }
    cron_key = "devcluster/www-data/test/shapes-cron"
    cron_bind = ("--bind", "job=shapes-cron", "--bind", "policy=CANCEL_NEW")
    real["cron schedule"] = as_json(dev_home, "cron", "schedule", cron_key, CRON, *cron_bind)
    real["cron show"] = as_json(dev_home, "cron", "show", cron_key)
    real["cron status"] = as_json(dev_home, "cron", "status", cron_key)
    real["cron start"] = as_json(dev_home, "cron", "start", cron_key)
    real["cron deschedule"] = as_json(dev_home, "cron", "deschedule", cron_key)
    dev_home.run("job", "killall", cron_key)
    for verb, output in real.items():
        assert verb in docs, f"docs/output.md does not document `{verb}`"
        examples = docs[verb]
        if verb.startswith("cron") and len(examples) == 3:
            examples = [examples[["cron schedule", "cron deschedule", "cron start"].index(verb)]]
        same_shape(examples[0], output, verb)


def test_yaml_table_and_csv_render_the_same_records(dev_home):
    key = "devcluster/www-data/test/formats"
    done = dev_home.run("job", "create", key, str(SERVICE), "--bind", "job=formats", "--bind",
                        "count=2")
    assert done.returncode == 0, done.stderr
    yaml_text = dev_home.run("job", "status", key, "--output-format", "yaml").stdout
    assert yaml_text.startswith(f'- job: "{key}"\n  active:\n')
    table = dev_home.run("job", "status", key, "--output-format", "table", "--columns",
                         "instance,status").stdout.splitlines()
    assert table[0].split() == ["INSTANCE", "STATUS"] and len(table) == 3
    rows = list(csv.DictReader(io.StringIO(
        dev_home.run("job", "status", key, "--output-format", "csv").stdout)))
    assert [r["instance"] for r in rows] == ["0", "1"]
    assert set(rows[0]) == {"job", "instance", "status", "host", "failures", "task_id"}
    bad = dev_home.run("job", "status", key, "--output-format", "table", "--columns", "nope")
    assert bad.returncode == 5 and "unknown column 'nope'" in bad.stderr
    assert "instance" in bad.stderr
    dev_home.write_client_config("[devcluster]\nautostart = false\n[output]\nformat = 'csv'\n")
    default = dev_home.run("job", "list", "devcluster/www-data/test/formats")
    assert default.stdout == f"job\n{key}\n"
    dev_home.run("job", "killall", key)


@pytest.mark.parametrize("fmt", ["json", "yaml", "csv", "table"])
def test_errors_in_structured_formats(dev_home, fmt):
    done = dev_home.run("job", "status", "devcluster/www-data/test/none", "--output-format",
                        fmt)
    assert done.returncode == 6 and "Found no jobs matching" in done.stderr
    if fmt == "json":
        assert json.loads(done.stdout)["error"]["exit_code"] == 6


def test_yaml_of_awkward_values(dev_home, tmp_path):
    awkward = tmp_path / "awkward.aurora"
    awkward.write_text(
        "jobs = [Service(cluster='devcluster', role='www-data', environment='prod', "
        "name='hello',\n  task=SimpleTask('hello', '''\n    while true; do\n"
        "      echo \"hello\"\n    done'''))]\n")
    text = dev_home.run("job", "inspect", "devcluster/www-data/prod/hello", str(awkward),
                        "--output-format", "yaml").stdout
    assert "cmdline: \"\\n    while true; do\\n" in text and 'name: "hello"' in text
