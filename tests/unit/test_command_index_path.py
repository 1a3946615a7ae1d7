"""The command index is per interpreter and import path: two one-file builds (or two
virtualenvs) on one interpreter keep one index each instead of rebuilding one in turn."""

from __future__ import annotations

import sys

import pytest

from aurora import index


def test_another_import_path_has_its_own_index(monkeypatch: pytest.MonkeyPatch) -> None:
    first = index.index_path()
    monkeypatch.setattr(sys, "path", [*sys.path, "/elsewhere/site-packages"])
    assert index.index_path() != first


def test_the_scripts_own_folder_does_not_change_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """sys.path[0] is the working directory under `python -m aurora`: one index for all."""
    first = index.index_path()
    monkeypatch.setattr(sys, "path", ["/some/cwd", *sys.path[1:]])
    assert index.index_path() == first
