"""Unit test helpers: put the collection on sys.path as ansible_collections.llmops.kserve (tests/harness.py)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import harness  # noqa: E402  pylint: disable=wrong-import-position

harness.import_collection()
