"""One wording style for errors: `cannot read PATH: why`, as every other unreadable
file is reported, and never the unreadable text itself (it may hold a password)."""

from __future__ import annotations

import pytest

from aurora.errors import ConfigurationError
from aurora.plugins.auth import netrc_credentials


def test_a_malformed_netrc_is_named_like_every_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "netrc"
    path.write_text("machine scheduler login alice password\nhunter2 stray\n")
    monkeypatch.setenv("NETRC", str(path))
    with pytest.raises(ConfigurationError) as caught:
        netrc_credentials("scheduler")
    message = str(caught.value)
    assert message.startswith(f"cannot read {path}: bad syntax at line ")
    assert "hunter2" not in message and caught.value.exit_code == 3
