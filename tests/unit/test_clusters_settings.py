"""clusters.json and client.toml: locations, precedence, defaults and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurora.clusters import FIELD_DEFAULTS, load_clusters
from aurora.errors import ConfigurationError, ExitCode
from aurora.settings import load_settings


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)
    return directory / name


def test_builtin_devcluster(tmp_path: Path) -> None:
    clusters = load_clusters([str(tmp_path / "none")])
    dev = clusters["devcluster"]
    assert dev.scheduler_uri == "http://127.0.0.1:8081"
    assert dev.zk is None and dev.zk_port == 2181
    assert dev.auth_mechanism == "UNAUTHENTICATED"
    assert dev.docker_registry == "https://registry-1.docker.io"
    assert set(FIELD_DEFAULTS) <= set(dev)


def test_list_and_map_layouts_and_replacement(tmp_path: Path) -> None:
    system, user = tmp_path / "etc", tmp_path / "home"
    _write(system, "clusters.json", json.dumps([
        {"name": "west", "zk": "zk1,zk2", "scheduler_zk_path": "/aurora/scheduler",
         "custom": "kept"},
        {"name": "devcluster", "scheduler_uri": "http://10.0.0.1:8081"},
        {"zk": "nameless entries are ignored"},
    ]))
    _write(user, "clusters.json", json.dumps({"ignored-key": {"name": "west",
                                                              "scheduler_uri": "http://w"}}))
    clusters = load_clusters([str(system), str(user)])
    assert clusters["devcluster"].scheduler_uri == "http://10.0.0.1:8081"
    west = clusters["west"]
    assert west.scheduler_uri == "http://w"
    assert west.zk is None  # replaced whole, not merged (upstream)
    assert "custom" not in west


def test_unknown_keys_are_kept(tmp_path: Path) -> None:
    _write(tmp_path, "clusters.json", '[{"name": "x", "tunnel_host": "bastion"}]')
    assert load_clusters([str(tmp_path)])["x"]["tunnel_host"] == "bastion"


@pytest.mark.parametrize("text, fragment", [
    ('[{"name": "x",}]', "line 1 column 15"),
    ('"just a string"', "top level must be a JSON list of clusters, not a str"),
    ('{"name": "x", "scheduler_uri": "http://x"}', "must be a JSON list of clusters, not an "
                                                  "object"),
    ('[{"name": "x", "scheduler_uri": "not a url"}]', "field scheduler_uri 'not a url' is not"),
    ('[{"name": "x", "scheduler_uri": "http://h:port"}]', "field scheduler_uri"),
    ('[["not", "an", "object"]]', "cluster entry 1 is a list"),
    ('[{"name": "x", "zk_port": "abc"}]', "zk_port must be int"),
])
def test_malformed_clusters_json(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, "clusters.json", text)
    with pytest.raises(ConfigurationError) as info:
        load_clusters([str(tmp_path)])
    assert str(path) in str(info.value) and fragment in str(info.value)
    assert info.value.exit_code == ExitCode.INVALID_CONFIGURATION


def test_settings_defaults_and_merge(tmp_path: Path) -> None:
    system, user = tmp_path / "etc", tmp_path / "home"
    assert load_settings([str(system), str(user)]).output_format is None
    _write(system, "client.toml", '[output]\nformat = "json"\n[plugins]\ndisable = ["a"]\n'
                                  '[plugin.auth]\nrealm = "x"\n')
    _write(user, "client.toml", '[plugins]\ndisable = ["b"]\n[devcluster]\nautostart = false\n')
    settings = load_settings([str(system), str(user)])
    assert settings.output_format == "json"
    assert settings.disabled_plugins == {"b"}
    assert settings.devcluster_autostart is False
    assert settings.for_plugin("auth") == {"realm": "x"}
    assert settings.for_plugin("none") == {}


@pytest.mark.parametrize("text, fragment", [
    ("[output\n", "line 1"),
    ('[output]\nformat = 3\n', "output.format must be str"),
    ('[plugins]\ndisable = "a"\n', "plugins.disable must be list"),
    ('output = 1\n', "[output] must be a table"),
])
def test_malformed_client_toml(tmp_path: Path, text: str, fragment: str) -> None:
    _write(tmp_path, "client.toml", text)
    with pytest.raises(ConfigurationError) as info:
        load_settings([str(tmp_path)])
    assert fragment in str(info.value) and "client.toml" in str(info.value)
