"""The plugin manager is pluggy's, used as designed: blocking, spec checks, one lookup."""

from __future__ import annotations

import pluggy
import pytest

from aurora import plugin_manager
from aurora.command_hooks import skipped_plugins
from aurora.errors import PluginError
from aurora.hookspecs import hookimpl
from aurora.plugin_manager import PluginManager

HERE = __name__


class Misspelt:
    @hookimpl
    def register_nuons(self, cli):  # not a hook aurora defines
        raise AssertionError("never called")


class Audit:
    calls: list[str] = []

    @hookimpl
    def pre_execute(self, context):
        self.calls.append("pre_execute")

    @hookimpl
    def prepare_request(self, context, cluster, url, headers):
        self.calls.append("prepare_request")


MISSPELT = Misspelt()
AUDIT = Audit()


@pytest.fixture(autouse=True)
def _no_distribution_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_manager.distributions.cache_clear()
    monkeypatch.setattr(plugin_manager, "distributions", lambda: {})


def test_it_is_the_pluggy_manager_itself() -> None:
    assert isinstance(PluginManager(), pluggy.PluginManager)
    assert not hasattr(PluginManager(), "pm")


def test_disabled_plugins_are_blocked_and_never_imported() -> None:
    manager = PluginManager(disabled=["ghost"])
    manager.load([("ghost", "no_such_module_anywhere")])
    assert manager.is_blocked("ghost")
    assert manager.records["ghost"].status == "disabled"
    assert manager.register(AUDIT, name="ghost") is None     # pluggy refuses the name


def test_a_misspelt_hook_is_refused_with_a_warning_naming_the_plugin(capsys) -> None:
    manager = PluginManager()
    manager.load([("typo", f"{HERE}:MISSPELT"), ("audit", f"{HERE}:AUDIT")])
    assert manager.records["typo"].status == "failed"
    assert manager.get_plugin("typo") is None
    assert manager.records["audit"].status == "loaded"   # the others still load
    err = capsys.readouterr().err
    assert "plugin 'typo'" in err and "register_nuons" in err and "skipped" in err


def test_a_misspelt_hook_is_an_error_in_strict_mode() -> None:
    with pytest.raises(PluginError, match="'typo'.*register_nuons"):
        PluginManager(strict=True).load([("typo", f"{HERE}:MISSPELT")])


def test_distributions_are_looked_up_once(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from importlib import metadata

    monkeypatch.undo()
    plugin_manager.distributions.cache_clear()
    scans = []
    monkeypatch.setattr(metadata, "distributions", lambda: scans.append(1) or [])
    PluginManager().load([("a", "no_such_module_a"), ("b", "no_such_module_b")])
    assert len(scans) == 1
    assert capsys.readouterr().err.count("unknown distribution") == 2
    plugin_manager.distributions.cache_clear()


def test_skip_hooks_all_has_no_builtin_exemption() -> None:
    manager = PluginManager()
    manager.load([("formats", "aurora.plugins.formats"), ("audit", f"{HERE}:AUDIT")])
    assert manager.records["formats"].builtin
    skipped = skipped_plugins(manager, "all")
    assert set(skipped) == set(manager.get_plugins())


def test_skip_hooks_acts_on_command_hooks_only() -> None:
    manager = PluginManager()
    manager.load([("audit", f"{HERE}:AUDIT")])
    Audit.calls.clear()
    manager.subset_hook_caller("pre_execute", skipped_plugins(manager, "all"))(context=None)
    manager.hook.prepare_request(context=None, cluster=None, url="", headers={})
    assert Audit.calls == ["prepare_request"]
