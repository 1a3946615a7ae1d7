"""Job-file API hooks: pre hooks can veto, post and err hooks see the outcome."""

from __future__ import annotations

from tests.conftest import FIXTURES

HOOKED = str(FIXTURES / "jobs" / "hooked.aurora")
KEY = "devcluster/www-data/test/hooked"


def test_api_hooks_run_veto_and_can_be_disabled(dev_home, tmp_path):
    log = tmp_path / "hooks.log"
    env = dev_home.env(HOOK_LOG=str(log))
    vetoed = dev_home.run("job", "create", KEY, HOOKED, env=dev_home.env(HOOK_LOG=str(log),
                                                                         HOOK_VETO="1"))
    assert vetoed.returncode == 4
    assert "Pre hooks stopped call to create_job: hook Recorder said no" in vetoed.stderr
    assert dev_home.run("job", "status", KEY).returncode == 6        # nothing created
    broken = dev_home.run("job", "create", KEY, HOOKED, env=dev_home.env(HOOK_LOG=str(log),
                                                                         HOOK_RAISE="1"))
    assert broken.returncode == 4 and "RuntimeError: the hook broke" in broken.stderr
    assert "Traceback" not in broken.stderr
    created = dev_home.run("job", "create", KEY, HOOKED, env=env)
    assert created.returncode == 0, created.stderr
    assert log.read_text().splitlines() == ["post_create_job hooked"]
    killed = dev_home.run("job", "killall", KEY, "--config", HOOKED, env=env)
    assert killed.returncode == 0, killed.stderr
    assert log.read_text().splitlines()[1:] == [f"pre kill_job {KEY}", f"post kill_job {KEY}"]
    log.write_text("")
    assert dev_home.run("job", "create", KEY, HOOKED, "--bind", "enable=false",
                        env=env).returncode == 0
    assert log.read_text() == ""                                     # enable_hooks = False
    dev_home.run("job", "killall", KEY, env=env)
