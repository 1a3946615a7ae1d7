"""A site's policy plugin, written from docs/plugins.md alone: it sees every verb that
changes state under the same names, and when the site requires it, it fails closed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, Home, pip_install_target

SERVICE = str(FIXTURES / "jobs" / "service.aurora")
CRON = str(FIXTURES / "jobs" / "cron.aurora")
KEY = "devcluster/www-data/test/pol"
PROD = "devcluster/www-data/prod/pol"


@pytest.fixture(scope="session")
def policy_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("policy-plugin-site")
    pip_install_target(FIXTURES / "aurora-policy-plugin", target)
    return target


def _env(home: Home, site: Path, **extra: str) -> dict[str, str]:
    return home.env(PYTHONPATH=str(site), **extra)


# (argv, what the policy must see: noun, verb, and the parts of the target)
STATE_CHANGING = [
    (["job", "create", KEY, SERVICE, "--bind", "job=pol"],
     {"verb": "create", "job_key": KEY, "config_file": SERVICE, "config_job": "pol"}),
    (["job", "kill", f"{KEY}/0-1"], {"verb": "kill", "job_key": KEY, "instances": [0, 1]}),
    (["job", "killall", KEY], {"verb": "killall", "job_key": KEY, "instances": None}),
    (["job", "add", f"{KEY}/0", "2"], {"verb": "add", "job_key": KEY, "instances": [0]}),
    (["job", "restart", f"{KEY}/3"], {"verb": "restart", "job_key": KEY, "instances": [3]}),
    (["update", "start", KEY, SERVICE, "--bind", "job=pol"],
     {"noun": "update", "verb": "start", "job_key": KEY, "config_job": "pol"}),
    (["update", "pause", KEY], {"noun": "update", "verb": "pause", "job_key": KEY}),
    (["update", "resume", KEY], {"noun": "update", "verb": "resume", "job_key": KEY}),
    (["update", "abort", KEY], {"noun": "update", "verb": "abort", "job_key": KEY}),
    (["update", "rollback", KEY], {"noun": "update", "verb": "rollback", "job_key": KEY}),
    (["cron", "schedule", "devcluster/www-data/test/nightly", CRON],
     {"noun": "cron", "verb": "schedule", "job_name": "nightly", "config_job": "nightly"}),
    (["cron", "deschedule", KEY], {"noun": "cron", "verb": "deschedule", "job_key": KEY}),
    (["cron", "start", KEY], {"noun": "cron", "verb": "start", "job_key": KEY}),
    (["quota", "set", "devcluster/www-data", "--cpus", "1", "--ram", "1GB", "--disk", "1GB"],
     {"noun": "quota", "verb": "set", "cluster": "devcluster", "role": "www-data",
      "job_key": None}),
    (["task", "run", KEY, "true"], {"noun": "task", "verb": "run", "job_key": KEY}),
    (["task", "ssh", f"{KEY}/2", "-c", "true"],
     {"noun": "task", "verb": "ssh", "job_key": KEY, "instances": [2]}),
    (["task", "scp", f"{KEY}/1:out.txt", "here.txt"],
     {"noun": "task", "verb": "scp", "job_key": KEY, "instances": [1]}),
]


def test_a_policy_from_the_docs_sees_every_state_changing_verb(dev_home, policy_site,
                                                               tmp_path):
    log = tmp_path / "policy.jsonl"
    env = _env(dev_home, policy_site, POLICY_LOG=str(log), POLICY_VETO="1")
    for argv, _ in STATE_CHANGING:
        done = dev_home.run(*argv, env=env)
        assert done.returncode == 4 and "vetoed" in done.stderr, (argv, done.stderr)
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(seen) == len(STATE_CHANGING)
    for record, (argv, expected) in zip(seen, STATE_CHANGING, strict=True):
        assert {"noun": "job", **expected}.items() <= record.items(), (argv, record)
        if record["job_key"]:
            parts = record["job_key"].split("/")
            assert [record["cluster"], record["role"], record["environment"],
                    record["job_name"]] == parts


def test_read_verbs_are_not_state_changing(dev_home, policy_site, tmp_path):
    log = tmp_path / "policy.jsonl"
    env = _env(dev_home, policy_site, POLICY_LOG=str(log), POLICY_VETO="1")
    assert dev_home.run("job", "list", "devcluster", env=env).returncode == 0
    assert dev_home.run("quota", "get", "devcluster/www-data", env=env).returncode == 0
    assert not log.exists()


def _require(home: Home, site_text: str = "[plugins]\nrequired = [\"change-ticket\"]\n"):
    home.write_client_config("[devcluster]\nautostart = false\n" + site_text, user=False)


def _no_update_started(home: Home, site: Path) -> None:
    """The site lifts the requirement, and the scheduler shows no update of the job."""
    home.write_client_config("[devcluster]\nautostart = false\n", user=False)
    home.write_client_config("")
    listed = home.run("update", "list", PROD, "--write-json", env=_env(home, site))
    assert json.loads(listed.stdout) == [], "nothing may reach the scheduler"


def test_a_broken_required_policy_blocks_an_update(dev_home, policy_site, tmp_path):
    broken = tmp_path / "site"
    shutil.copytree(policy_site, broken)
    (broken / "aurora_policy_plugin" / "__init__.py").write_text("def pre_execute(:\n")
    _require(dev_home)
    env = _env(dev_home, broken)
    done = dev_home.run("update", "start", PROD, SERVICE, "--bind", "job=pol", env=env)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "required plugin 'change-ticket' is broken" in lines[0]
    assert "client.toml requires it" in lines[0] and "Traceback" not in done.stderr
    for allowed in (["help"], ["--version"], ["plugins", "list"]):
        assert dev_home.run(*allowed, env=env).returncode == 0, allowed
    _no_update_started(dev_home, policy_site)


@pytest.mark.parametrize("how", ["skip-hooks", "skip-all", "env-disabled", "user-disabled"])
def test_a_required_policy_cannot_be_turned_off(dev_home, policy_site, how):
    _require(dev_home)
    env = _env(dev_home, policy_site)
    argv = ["update", "start", PROD, SERVICE, "--bind", "job=pol"]
    if how == "skip-hooks":
        argv += ["--skip-hooks", "change-ticket"]
    elif how == "skip-all":
        argv += ["--skip-hooks", "all"]
    elif how == "env-disabled":
        env["AURORA_DISABLE_PLUGINS"] = "change-ticket"
    else:
        dev_home.write_client_config("[plugins]\ndisable = [\"change-ticket\"]\nrequired = []\n")
    done = dev_home.run(*argv, env=env)
    assert done.returncode == 3 and "required plugin 'change-ticket'" in done.stderr, \
        done.stderr
    _no_update_started(dev_home, policy_site)


def test_a_missing_required_plugin_from_the_environment(dev_home):
    done = dev_home.run("job", "list", "devcluster",
                        env=dev_home.env(AURORA_REQUIRED_PLUGINS="nowhere"))
    assert done.returncode == 3
    assert "required plugin 'nowhere' is not installed" in done.stderr
    assert "AURORA_REQUIRED_PLUGINS requires it" in done.stderr


def test_skip_hooks_still_skips_a_policy_that_is_not_required(dev_home, policy_site,
                                                              tmp_path):
    env = _env(dev_home, policy_site, POLICY_VETO="1")
    argv = ["cron", "deschedule", KEY]
    assert dev_home.run(*argv, env=env).returncode == 4
    skipped = dev_home.run(*argv, "--skip-hooks", "change-ticket", env=env)
    assert "vetoed" not in skipped.stderr
