"""HTTP_PROXY / HTTPS_PROXY / NO_PROXY are honoured as upstream's HTTP library (python
requests) honoured them: plain http through the proxy as absolute URIs, https through
a CONNECT tunnel, NO_PROXY bypassing it (issue 28, item 7)."""

from __future__ import annotations

import base64

import pytest

from tests.e2e.test_scheduler_client import tls_scheduler  # noqa: F401 - a fixture
from tests.support.devcluster import free_port
from tests.support.forwardproxy import ForwardProxy


def test_http_proxy_carries_plain_http_calls_as_absolute_uris(dev_home, devcluster):
    with ForwardProxy() as proxy:
        done = dev_home.run("-v", "job", "list", "devcluster/www-data",
                            env=dev_home.env(HTTP_PROXY=proxy.url))
    assert done.returncode == 0, done.stderr
    assert proxy.seen and all(seen == ("POST", f"{devcluster.url}/api", None)
                              for seen in proxy.seen), proxy.seen
    assert (f"INFO aurora: {devcluster.url}/api goes through the proxy {proxy.url} "
            "(HTTP_PROXY, absolute URIs)\n") in done.stderr


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "127.0.0.0/8", "localhost, .0.0.1"])
def test_no_proxy_bypasses_the_proxy(dev_home, no_proxy):
    with ForwardProxy() as proxy:
        done = dev_home.run("job", "list", "devcluster/www-data",
                            env=dev_home.env(http_proxy=proxy.url, NO_PROXY=no_proxy))
    assert done.returncode == 0, done.stderr
    assert proxy.seen == []


def test_https_goes_through_a_connect_tunnel(home, tls_scheduler):  # noqa: F811
    url, cert = tls_scheduler
    home.write_clusters([{"name": "tls", "scheduler_uri": url}])
    with ForwardProxy() as proxy:
        done = home.run("--ca-bundle", cert, "job", "list", "tls/www-data",
                        env=home.env(HTTPS_PROXY=proxy.url, HTTP_PROXY="http://127.0.0.1:9"))
    assert done.returncode == 0, done.stderr
    assert proxy.seen == [("CONNECT", url.removeprefix("https://"), None)]


def test_proxy_credentials_are_sent_and_never_shown(dev_home, devcluster):
    wanted = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    with ForwardProxy(credentials=wanted) as proxy:
        with_them = proxy.url.replace("http://", "http://alice:s3cret@")
        done = dev_home.run("-v", "job", "list", "devcluster/www-data",
                            env=dev_home.env(HTTP_PROXY=with_them))
        refused = dev_home.run("job", "list", "devcluster/www-data",
                               env=dev_home.env(HTTP_PROXY=proxy.url))
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stderr and "alice:***@" in done.stderr
    assert refused.returncode == 30, refused.stderr
    assert refused.stderr == (f"aurora: the proxy {proxy.url} (HTTP_PROXY) refused the request "
                              f"to {devcluster.url}/api (HTTP 407): it wants credentials"
                              "; set HTTP_PROXY to http://USER:PASSWORD@HOST:PORT\n")


def test_an_unreachable_proxy_is_named_with_its_variable(dev_home, devcluster):
    port = free_port()
    done = dev_home.run("job", "list", "devcluster/www-data",
                        env=dev_home.env(ALL_PROXY=f"127.0.0.1:{port}"))
    assert done.returncode == 7, done.stderr
    assert done.stderr.startswith(f"aurora: cluster devcluster: cannot reach the scheduler at "
                                  f"{devcluster.url}/api through the proxy "
                                  f"http://127.0.0.1:{port} (ALL_PROXY): ")
    assert "add the scheduler's host to NO_PROXY" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_proxy_that_is_not_http_is_a_configuration_error(dev_home):
    done = dev_home.run("job", "list", "devcluster/www-data",
                        env=dev_home.env(HTTP_PROXY="socks5://127.0.0.1:1080"))
    assert done.returncode == 3, done.stderr
    assert "HTTP_PROXY is 'socks5://127.0.0.1:1080': only an http:// proxy" in done.stderr
