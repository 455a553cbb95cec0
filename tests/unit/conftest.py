"""Unit test helpers: put the collection on sys.path as ansible_collections.llmops.kserve (tests/harness.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import harness  # noqa: E402  pylint: disable=wrong-import-position

harness.import_collection()


@pytest.fixture(scope="session")
def helm_bin() -> str:
    """The helm binary; a test that uses it FAILS (never skips) when it is missing (tests/harness.py)."""
    return harness.helm_bin()
