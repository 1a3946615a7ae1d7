"""aurora.api.urls splits URLs as urllib.parse.urlsplit does, without importing it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from aurora.api import urls

ROOT = Path(__file__).resolve().parents[2]

URLS = [
    "http://127.0.0.1:8081",
    "http://127.0.0.1:8081/",
    "https://Scheduler.Example.COM/aurora/api?x=1#frag",
    "http://user@host:1/",
    "http://user:p%40ss:word@host/path",
    "http://[::1]:8081/api",
    "http://[FE80::1]/",
    "HTTP://host",
    "http://host:/",
    "  http://host/\n",
    "http://ho\tst:80/a\r\nb",
    "http://host?q",
    "http://host#f",
    "host:8081",
    "/relative/path?x",
    "mailto:someone@example.com",
    "http://@host/",
    "http://host:65535",
    "1http://host",
]


@pytest.mark.parametrize("url", URLS)
def test_parts_are_urlsplits(url: str) -> None:
    ours, theirs = urls.split(url), urlsplit(url)
    for part in ("scheme", "netloc", "path", "query", "fragment", "username", "password",
                 "hostname", "port"):
        assert getattr(ours, part) == getattr(theirs, part), part
    assert ours.geturl() == theirs.geturl()


@pytest.mark.parametrize("url", ["http://host:99999/", "http://host:8o/", "http://host:-1/",
                                 "http://host:\u0661/"])
def test_a_bad_port_is_a_value_error_as_in_urlsplit(url: str) -> None:
    with pytest.raises(ValueError):
        _ = urlsplit(url).port
    with pytest.raises(ValueError):
        _ = urls.split(url).port


@pytest.mark.parametrize("url", ["http://[::1/", "http://::1]/"])
def test_unbalanced_brackets_are_a_value_error_as_in_urlsplit(url: str) -> None:
    with pytest.raises(ValueError):
        urlsplit(url)
    with pytest.raises(ValueError):
        urls.split(url)


@pytest.mark.parametrize("base", ["http://h:8081", "http://h:8081/", "https://h/aurora",
                                  "https://h/aurora/"])
def test_child_keeps_the_base_path_as_urljoin_does(base: str) -> None:
    slashed = base if base.endswith("/") else base + "/"
    assert urls.child(base, "api") == urljoin(slashed, "api")


def test_target_is_the_request_line_path() -> None:
    assert urls.split("http://h").target() == "/"
    assert urls.split("http://h/a/api?x=1#f").target() == "/a/api?x=1"


def test_splitting_imports_no_urllib() -> None:
    """Run without site (-S), from the source tree: an editable install's finder
    imports urllib.parse itself."""
    code = ("import sys, aurora.api.urls as u; u.split('http://u:p@h:1/a?b').port; "
            "u.child('http://h', 'api'); print('urllib.parse' in sys.modules)")
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.strip() == "False"
