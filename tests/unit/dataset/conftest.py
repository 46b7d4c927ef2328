"""Fixtures for the dataset-stage tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from dataset_helpers import base_tables, write_folder


@pytest.fixture
def make_folder(tmp_path: Path) -> Callable[..., Path]:
    """make_folder(edit=None, fmt='csv'): write the base tables (after ``edit(tables)``)."""

    def make(
        edit: Callable[[dict[str, pd.DataFrame]], None] | None = None, fmt: str = "csv"
    ) -> Path:
        tables = base_tables()
        if edit is not None:
            edit(tables)
        return write_folder(tmp_path / "data", tables, fmt)

    return make
