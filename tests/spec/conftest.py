"""Spec-test fixtures.

The shared ``engine`` fixture asks for ``<param>_engine``; its PySpark param is named
``pyspark`` while the session fixture is ``spark_engine``, so alias it here.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def pyspark_engine(spark_engine):
    return spark_engine
