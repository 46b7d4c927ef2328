"""Shared fixtures.

``engine`` runs a test on every engine: DuckDB (embedded default) and PySpark (marked
``spark``; one local SparkSession is shared by the whole run).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clearwater.engine import connect
from clearwater.instruments import load_instruments

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "public"


@pytest.fixture(scope="session")
def instruments():
    return load_instruments()


@pytest.fixture(scope="session")
def duckdb_engine():
    return connect("duckdb")


@pytest.fixture(scope="session")
def pyspark_engine():
    return connect("pyspark")


@pytest.fixture(scope="session")
def spark_engine(pyspark_engine):
    return pyspark_engine


@pytest.fixture(
    params=["duckdb", pytest.param("pyspark", marks=pytest.mark.spark)],
    scope="session",
)
def engine(request):
    """Every engine in turn: the same spec case must give the same answer on each."""
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture(scope="session")
def shared_public_data() -> Path:
    """The published statistics beside the project, or skip with a reason."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"published statistics not found at {SHARED_DATA} (../shared is absent)")
    return SHARED_DATA


def pytest_collection_modifyitems(config, items):
    """Keep every Spark test on one xdist worker, so one JVM serves them all."""
    for item in items:
        if item.get_closest_marker("spark") is not None or "pyspark" in item.name:
            item.add_marker(pytest.mark.xdist_group("spark"))
