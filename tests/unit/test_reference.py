"""The checks against the upstream IDL skip with one line outside CI and never skip in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REFERENCE_IDL, ROOT, in_ci


def test_in_ci_the_reference_is_there():
    if not in_ci():
        pytest.skip("only meaningful with CI=true")
    assert REFERENCE_IDL.exists(), f"CI=true but {REFERENCE_IDL} is missing"


def _idl_checks(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "AURORA_REFERENCE_DIR")}
    clean.update(AURORA_REFERENCE_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "tests/unit/test_idl.py"], cwd=ROOT, env=clean, capture_output=True,
                          text=True, timeout=120)


def test_a_missing_reference_skips_with_where_to_put_it_and_fails_in_ci(tmp_path):
    skipped = _idl_checks(tmp_path)
    assert skipped.returncode == 0 and " skipped" in skipped.stdout, skipped.stdout
    assert "put api.thrift in ../shared/reference beside the clone or point " \
           "AURORA_REFERENCE_DIR at its folder" in skipped.stdout
    failed = _idl_checks(tmp_path, CI="true")
    assert failed.returncode == 1 and "CI=true but the upstream reference IDL" in failed.stdout
