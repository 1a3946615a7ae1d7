"""contrib/aurora-site-example, installed like a site would, driven through the real aurora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

SERVICE = str(FIXTURES / "jobs" / "service.aurora")


def site_env(home, site_example, **extra):
    return home.env(**extra)


@pytest.fixture
def aurora(dev_home, site_example):
    """`python -m aurora` of the site's virtualenv."""
    return lambda *args, **kw: dev_home.run(*args, python=site_example, **kw)


def prod_service(tmp_path):
    path = tmp_path / "prod.aurora"
    path.write_text((FIXTURES / "jobs" / "service.aurora").read_text().replace(
        "environment = 'test'", "environment = 'prod'"))
    return str(path)


def test_site_noun_job_verb_and_markdown(aurora, dev_home, site_example, devcluster):
    env = site_env(dev_home, site_example)
    clusters = aurora("site", "clusters", "--output-format", "markdown", env=env)
    assert clusters.returncode == 0, clusters.stderr
    assert clusters.stdout.splitlines()[0] == "| cluster | scheduler_uri | zk |"
    assert f"| devcluster | {devcluster.url} |" in clusters.stdout
    who = json.loads(aurora("site", "whoami", "devcluster", "--write-json", env=env).stdout)
    assert who["auth_mechanism"] == "UNAUTHENTICATED"
    key = "devcluster/www-data/test/owned"
    assert aurora("job", "create", key, SERVICE, "--bind", "job=owned", "--bind",
                        "count=1", env=env).returncode == 0
    owner = aurora("job", "owner", key, env=env)
    assert owner.returncode == 0 and owner.stdout.strip()
    listed = json.loads(aurora("plugins", "list", "--write-json", env=env).stdout)
    site = {p["name"]: p for p in listed if p["distribution"] == "aurora-site-example"}
    assert set(site) == {"site", "site-policy", "site-audit", "site-markdown"}
    assert all(p["version"] == "1.0.0" and p["status"] == "loaded" for p in site.values())
    assert site["site-policy"]["hooks"] == ["pre_execute", "register_options"] or \
        set(site["site-policy"]["hooks"]) == {"pre_execute", "register_options"}
    aurora("job", "killall", key, env=env)


def test_prod_killall_policy_needs_force(aurora, dev_home, site_example, tmp_path):
    env = site_env(dev_home, site_example)
    key = "devcluster/www-data/prod/guarded"
    assert aurora("job", "create", key, prod_service(tmp_path), "--bind", "job=guarded",
                        "--bind", "count=1", env=env).returncode == 0
    refused = aurora("job", "killall", key, env=env)
    assert refused.returncode == 4
    assert "site policy: killall of devcluster/www-data/prod/guarded in prod needs --force" in \
        refused.stderr
    assert json.loads(aurora("job", "status", key, "--write-json", env=env).stdout)[0][
        "active"]                                   # nothing was killed
    forced = aurora("job", "killall", key, "--force", env=env)
    assert forced.returncode == 0, forced.stderr


def test_command_hook_audit_veto_and_skip_hooks(aurora, dev_home, site_example, tmp_path):
    log = tmp_path / "audit.log"
    env = site_env(dev_home, site_example, AURORA_SITE_AUDIT_LOG=str(log))
    key = "devcluster/www-data/test/audited"
    args = ("job", "create", key, SERVICE, "--bind", "job=audited", "--bind", "count=1")
    assert aurora(*args, env=env).returncode == 0
    assert log.read_text().startswith("job create ")
    aurora("job", "killall", key, "--skip-hooks", "site-audit", env=env)
    assert "killall" not in log.read_text()                  # skipped by name
    blocked_env = dict(env, AURORA_SITE_AUDIT_BLOCK="1")
    blocked = aurora(*args, env=blocked_env)
    assert blocked.returncode == 7
    assert "Command aborted by command hook site-audit with error code 7" in blocked.stderr
    allowed = aurora(*args, "--skip-hooks", "all", env=blocked_env)
    assert allowed.returncode == 0, allowed.stderr
    ignored = aurora("job", "killall", key, "--skip-hooks", "no-such-hook", env=env)
    assert ignored.returncode == 0


def test_the_example_tests_itself_with_the_test_kit(tmp_path):
    """contrib/aurora-site-example/tests uses only aurora.testing's fixtures."""
    import subprocess
    import sys

    example = Path(__file__).resolve().parents[2] / "contrib" / "aurora-site-example"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--basetemp", str(tmp_path / "kit"), "tests"], cwd=example,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
