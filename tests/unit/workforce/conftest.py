"""The shared ``engine`` fixture asks for ``pyspark_engine``; alias the session fixture."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def pyspark_engine(spark_engine):
    return spark_engine
