"""Job-file API hooks written for the upstream client, run through the real `aurora`.

The hooks in hooked.aurora follow upstream's client-hooks documentation: they
receive upstream's config object, job keys, responses and errors.
"""

from __future__ import annotations

from aurora.api.idl import api
from tests.conftest import FIXTURES

HOOKED = str(FIXTURES / "jobs" / "hooked.aurora")
KEY = "devcluster/www-data/test/hooked"
CRON_KEY = "devcluster/www-data/test/hooked_cron"


def lines(log) -> list[str]:
    text = log.read_text() if log.exists() else ""
    log.write_text("")
    return text.splitlines()


def test_create_hooks_see_upstreams_config_and_every_pre_hook_runs(dev_home, tmp_path):
    log = tmp_path / "hooks.log"
    ok, code = api().ResponseCode.OK, api().ResponseCode.INVALID_REQUEST
    pre = [f"pre_create_job {KEY} name=hooked instances=1 ports=['http']",
           f"Logger: pre_create_job of {KEY}"]

    def run(*args, **env):
        return dev_home.run(*args, env=dev_home.env(HOOK_LOG=str(log), **env))

    vetoed = run("job", "create", KEY, HOOKED, HOOK_VETO="1")
    assert vetoed.returncode == 4 and "Traceback" not in vetoed.stderr
    assert "Pre hooks stopped call to create_job: hook Auditor said no" in vetoed.stderr
    assert lines(log) == pre                            # the Logger ran after the veto too
    assert dev_home.run("job", "status", KEY).returncode == 6      # nothing created
    broken = run("job", "create", KEY, HOOKED, HOOK_RAISE="1")
    assert broken.returncode == 4 and "Traceback" not in broken.stderr
    assert "hook Auditor failed: RuntimeError: the hook broke" in broken.stderr
    assert lines(log) == pre
    created = run("job", "create", KEY, HOOKED)
    assert created.returncode == 0, created.stderr
    assert lines(log) == [*pre, f"post_create_job {ok} hooked", f"Logger: post_create_job of {KEY}"]
    again = run("job", "create", KEY, HOOKED)              # the scheduler refuses a duplicate
    assert again.returncode == 4
    err = lines(log)[2:]
    assert err[0].startswith(f"err_create_job {code} APIError: INVALID_REQUEST: ")
    assert err[1:] == [f"Logger: err_create_job of {KEY}"]

    restarted = run("job", "restart", KEY, "--config", HOOKED, "--watch-secs", "1",
                    "--healthcheck-interval-seconds", "0.2")
    assert restarted.returncode == 0, restarted.stderr
    assert lines(log) == [f"pre_restart {KEY} None batch_size=1 hooked",
                          f"Logger: pre_restart of {KEY}", f"post_restart {ok}",
                          f"Logger: post_restart of {KEY}"]

    prompt = f"Are you sure you want to kill {KEY} (shards [0])? (yes/no): "
    refused = run("job", "killall", KEY, "--config", HOOKED, HOOK_CONFIRM="no")
    assert refused.returncode == 4
    assert "Pre hooks stopped call to kill_job: hook KillConfirmer said no" in refused.stderr
    assert lines(log) == [prompt, f"Logger: pre_kill_job of {KEY}"]
    killed = run("job", "killall", KEY, "--config", HOOKED)
    assert killed.returncode == 0, killed.stderr
    assert lines(log) == [prompt, f"Logger: pre_kill_job of {KEY}",
                          f"Logger: post_kill_job of {KEY}"]

    assert run("job", "create", KEY, HOOKED, "--bind", "enable=false").returncode == 0
    assert lines(log) == []                                          # enable_hooks = False
    dev_home.run("job", "killall", KEY)


def test_cron_start_hooks_get_the_response_or_an_error_carrying_it(dev_home, tmp_path):
    log = tmp_path / "hooks.log"
    env = dev_home.env(HOOK_LOG=str(log))
    assert dev_home.run("cron", "schedule", CRON_KEY, HOOKED, env=env).returncode == 0
    assert lines(log) == []                              # scheduling is not a hooked call
    started = dev_home.run("cron", "start", CRON_KEY, "--config", HOOKED, env=env)
    assert started.returncode == 0, started.stderr
    ok = api().ResponseCode.OK
    assert lines(log) == [f"Logger: pre_start_cronjob of {CRON_KEY}",
                          f"post_start_cronjob {ok} {CRON_KEY}",
                          f"Logger: post_start_cronjob of {CRON_KEY}"]
    assert dev_home.run("cron", "deschedule", CRON_KEY).returncode == 0
    failed = dev_home.run("cron", "start", CRON_KEY, "--config", HOOKED, env=env)
    assert failed.returncode == 10
    assert lines(log) == [f"Logger: pre_start_cronjob of {CRON_KEY}",
                          f"err_start_cronjob {api().ResponseCode.INVALID_REQUEST}",
                          f"Logger: err_start_cronjob of {CRON_KEY}"]
    dev_home.run("job", "killall", CRON_KEY)
