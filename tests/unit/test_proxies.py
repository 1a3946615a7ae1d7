"""The proxy environment read as python requests reads it (aurora/api/proxies.py)."""

from __future__ import annotations

import pytest

from aurora.api.proxies import bypassed, proxy_for
from aurora.errors import ConfigurationError


@pytest.mark.parametrize("host, port, no_proxy, expected", [
    ("api.example.com", None, "example.com", True),
    ("api.example.com", None, ".example.com", True),
    ("myexample.com", None, "example.com", True),       # requests' plain suffix match
    ("example.org", None, "example.com", False),
    ("host", 8081, "host:8081", True),
    ("host", 9000, "host:8081", False),
    ("10.1.2.3", None, "10.0.0.0/8", True),
    ("11.1.2.3", None, "10.0.0.0/8", False),
    ("10.1.2.3", None, "10.1.2.3", True),
    ("anything", None, "a.com, *", True),
    ("API.Example.com", None, "example.COM", True),
])
def test_no_proxy_matching(host, port, no_proxy, expected):
    assert bypassed(host, port, no_proxy) is expected


def _chosen(environ, url="http://scheduler:8081/api"):
    found = proxy_for(url, environ)
    return None if found is None else (found.host, found.port, found.variable)


def test_lower_case_wins_and_an_empty_one_unsets():
    assert _chosen({"HTTP_PROXY": "http://a:1", "http_proxy": "http://b:2"}) == \
        ("b", 2, "http_proxy")
    assert _chosen({"HTTP_PROXY": "http://a:1", "http_proxy": ""}) is None


def test_scheme_then_all_proxy_and_no_scheme_means_http():
    assert _chosen({"HTTPS_PROXY": "p:3128"}, "https://s/api") == ("p", 3128, "HTTPS_PROXY")
    assert _chosen({"HTTPS_PROXY": "p:3128"}) is None
    assert _chosen({"ALL_PROXY": "p"}) == ("p", 80, "ALL_PROXY")


def test_http_proxy_is_ignored_under_cgi():
    assert _chosen({"HTTP_PROXY": "http://a:1", "REQUEST_METHOD": "GET"}) is None


def test_no_proxy_env_bypasses_and_credentials_become_a_header():
    assert _chosen({"HTTP_PROXY": "http://a:1", "no_proxy": "scheduler"}) is None
    found = proxy_for("http://s/api", {"HTTP_PROXY": "http://u:p%40ss@a:1"})
    assert found.authorization == "Basic dTpwQHNz" and found.shown == "http://u:***@a:1"


def test_a_socks_proxy_is_refused():
    with pytest.raises(ConfigurationError) as caught:
        proxy_for("http://s/api", {"ALL_PROXY": "socks5://a:1"})
    assert caught.value.exit_code == 3 and "ALL_PROXY" in str(caught.value)
