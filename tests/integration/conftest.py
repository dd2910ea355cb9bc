"""Fixtures shared by the serving tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.serve_support import TrainedModel, trained_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, small_bank: dict[str, Path]) -> TrainedModel:
    """The bank model the serving tests use (trained once per session)."""
    return trained_model(tmp_path_factory, small_bank)
