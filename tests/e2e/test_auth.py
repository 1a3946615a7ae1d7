"""The auth plugin against a devcluster that requires HTTP Basic auth (--users)."""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, aurora_bin
from tests.support.devcluster import Devcluster

SERVICE = str(FIXTURES / "jobs" / "service.aurora")
SECRET = "s3cret-Pa55"
ADMIN_SECRET = "r00t-Pa55"


def hashed(password: str) -> str:
    done = subprocess.run([str(Path(aurora_bin()).parent / "aurora-devcluster"),
                           "hash-password"], input=password + "\n", capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def secure(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secure")
    users = folder / "users.json"
    users.write_text(json.dumps([
        {"user": "alice", "password": hashed(SECRET), "roles": ["www-data"]},
        {"user": "root", "password": hashed(ADMIN_SECRET), "roles": [], "admin": True}]))
    cluster = Devcluster(folder / "state", executor="simulate", args=("--users", str(users)))
    yield cluster.start()
    cluster.stop()


def setup_home(home, secure, mechanism="BASIC", netrc_user=None, password=SECRET):
    home.write_clusters([{**secure.cluster_entry("devcluster"), "auth_mechanism": mechanism}])
    home.write_client_config("[devcluster]\nautostart = false\n[scheduler]\nretries = 0\n")
    netrc = Path(home.env()["HOME"]) / ".netrc"
    if netrc_user:
        netrc.write_text(f"machine 127.0.0.1 login {netrc_user} password {password}\n")
        netrc.chmod(0o600)
    elif netrc.exists():
        netrc.unlink()
    return home


def test_netrc_credentials_and_role_checks(home, secure):
    setup_home(home, secure, netrc_user="alice")
    key = "devcluster/www-data/test/authed"
    done = home.run("job", "create", key, SERVICE, "--bind", "job=authed", "--bind", "count=1")
    assert done.returncode == 0, done.stderr
    other = home.run("job", "killall", "devcluster/other-role/test/x")
    assert other.returncode in (6, 30)
    refused = home.run("quota", "set", "devcluster/www-data", "--cpus", "1", "--ram", "1GB",
                       "--disk", "1GB")
    assert refused.returncode == 30 and "user alice is not an administrator" in refused.stderr
    setup_home(home, secure, netrc_user="root", password=ADMIN_SECRET)
    assert home.run("quota", "set", "devcluster/www-data", "--cpus", "1", "--ram", "1GB",
                    "--disk", "1GB").returncode == 0
    assert home.run("job", "killall", key).returncode == 0     # admins may change any job


def test_user_may_only_change_own_roles(home, secure, tmp_path):
    setup_home(home, secure, netrc_user="alice")
    text = Path(SERVICE).read_text().replace("role = 'www-data'", "role = 'payments'")
    other = tmp_path / "other.aurora"
    other.write_text(text)
    done = home.run("job", "create", "devcluster/payments/test/theirs", str(other), "--bind",
                    "job=theirs", "--bind", "count=1")
    assert done.returncode == 30
    assert "user alice may not change jobs of role payments" in done.stderr


@pytest.mark.parametrize("mechanism,netrc_user,password,message", [
    ("BASIC", None, SECRET, "needs a user and password"),
    ("UNAUTHENTICATED", None, SECRET, "HTTP 401"),
    ("BASIC", "alice", "wrong-password", "HTTP 401"),
])
def test_missing_or_wrong_credentials_exit_30(home, secure, mechanism, netrc_user, password,
                                              message):
    setup_home(home, secure, mechanism, netrc_user, password)
    done = home.run("job", "list", "devcluster/www-data", stdin=subprocess.DEVNULL)
    assert done.returncode == 30 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_credentials_never_appear_in_output_logs_or_tracebacks(home, secure):
    setup_home(home, secure, netrc_user="alice", password=SECRET)
    token = base64.b64encode(f"alice:{SECRET}".encode()).decode()
    runs = [home.run("--verbose", "--traceback", "job", "list", "devcluster/www-data"),
            home.run("--verbose", "--traceback", "quota", "set", "devcluster/www-data",
                     "--cpus", "1", "--ram", "1GB", "--disk", "1GB")]
    setup_home(home, secure, netrc_user="alice", password="wrong-" + SECRET)
    runs.append(home.run("--verbose", "--traceback", "job", "list", "devcluster/www-data"))
    saved = list(Path(home.env()["XDG_CACHE_HOME"]).rglob("last-traceback.txt"))
    texts = [r.stdout + r.stderr for r in runs] + [p.read_text() for p in saved]
    for text in texts:
        assert SECRET not in text and token not in text


def test_kerberos_without_the_extra_and_unknown_mechanisms(home, secure):
    setup_home(home, secure, mechanism="KERBEROS")
    done = home.run("job", "list", "devcluster/www-data")
    assert done.returncode == 30 and "aurora-client-v2[kerberos]" in done.stderr
    setup_home(home, secure, mechanism="MAGIC")
    unknown = home.run("job", "list", "devcluster/www-data")
    assert unknown.returncode == 3 and "unknown auth_mechanism 'MAGIC'" in unknown.stderr


def test_basic_prompts_on_a_terminal_without_echoing(home, secure):
    setup_home(home, secure, mechanism="BASIC")
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(aurora_bin(), [aurora_bin(), "job", "list", "devcluster/www-data"],
                  home.env())
    output, answered = b"", []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if b"User: " in output and "user" not in answered:
            os.write(fd, b"alice\n")
            answered.append("user")
        if b"Password: " in output and "password" not in answered:
            os.write(fd, SECRET.encode() + b"\n")
            answered.append("password")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output.decode(errors="replace")
    assert answered == ["user", "password"]
    assert SECRET.encode() not in output                     # not echoed


def test_kerberos_spnego_end_to_end(home, kerberos_realm, tmp_path):
    """KERBEROS with the extra installed: a ticket gets alice in, and her roles apply."""
    users = tmp_path / "users.json"
    users.write_text(json.dumps([{"user": "alice", "password": "-", "roles": ["www-data"]}]))
    cluster = Devcluster(tmp_path / "krb", executor="simulate",
                         args=("--users", str(users), "--kerberos-keytab",
                               str(kerberos_realm.keytab)),
                         env=dict(os.environ, **kerberos_realm.env()))
    cluster.start()
    try:
        home.write_clusters([{"name": "devcluster", "auth_mechanism": "KERBEROS",
                              "scheduler_uri": f"http://localhost:{cluster.port}"}])
        home.write_client_config("[devcluster]\nautostart = false\n[scheduler]\nretries = 0\n")
        env = home.env(**kerberos_realm.env())
        key = "devcluster/www-data/test/kerberized"
        done = home.run("job", "create", key, SERVICE, "--bind", "job=kerberized", "--bind",
                        "count=1", env=env)
        assert done.returncode == 0, done.stderr
        text = Path(SERVICE).read_text().replace("role = 'www-data'", "role = 'payments'")
        other = tmp_path / "other.aurora"
        other.write_text(text)
        refused = home.run("job", "create", "devcluster/payments/test/x", str(other), "--bind",
                           "job=x", "--bind", "count=1", env=env)
        assert refused.returncode == 30
        assert "user alice may not change jobs of role payments" in refused.stderr
        no_ticket = home.run("job", "list", "devcluster/www-data",
                             env=home.env(**kerberos_realm.env(
                                 KRB5CCNAME=f"FILE:{tmp_path / 'none'}")))
        assert no_ticket.returncode == 30 and 'forget to run "kinit"' in no_ticket.stderr
        assert home.run("job", "killall", key, env=env).returncode == 0
    finally:
        cluster.stop()


def test_pages_need_the_same_credentials_as_the_api(secure):
    import base64
    import urllib.error
    import urllib.request

    good = "Basic " + base64.b64encode(f"alice:{SECRET}".encode()).decode()
    bad = "Basic " + base64.b64encode(b"mallory:guess").decode()
    for page in ("/", "/scheduler", "/scheduler/www-data", "/scheduler/www-data/test/x"):
        for header in (None, bad):
            request = urllib.request.Request(secure.url + page)
            if header:
                request.add_header("Authorization", header)
            try:
                urllib.request.urlopen(request, timeout=10)
                raise AssertionError(f"{page} answered without valid credentials")
            except urllib.error.HTTPError as exc:
                assert exc.code == 401
                assert exc.headers["WWW-Authenticate"].startswith("Basic")
        request = urllib.request.Request(secure.url + page, headers={"Authorization": good})
        try:    # the page, or the 404 page of a role or job this module has not made
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        assert status == 200 or (status == 404 and page.count("/") > 1), (page, status)
        assert b"<h1>" in body
    for page in ("/updates", "/live/scheduler", "/static/pages.js"):
        assert_refused = urllib.request.Request(secure.url + page)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(assert_refused, timeout=10)
        assert refused.value.code == 401
    with urllib.request.urlopen(secure.url + "/health", timeout=10) as answer:
        assert answer.status == 200       # liveness stays public (start waits on it)
