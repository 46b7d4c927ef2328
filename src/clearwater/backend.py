"""Backend connections.  The same Ibis expressions run on every engine.

The bottom of the data path: the data set is loaded into an :class:`Engine` and every layer above
runs its Ibis expressions there, so nothing here imports another Clearwater package but errors
(it was ``engine/backend.py``; moved so that dataset/ no longer imports engine/, ADR 0003).

``duckdb`` (default) is embedded and needs nothing else.  ``pyspark`` starts (or reuses) a
local SparkSession unless one is given; it needs Java 17 and the ``spark`` extra.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from clearwater.errors import ClearwaterError

ENGINES = ("duckdb", "pyspark")
_counter = itertools.count()
_PREFIX = f"cw_{uuid.uuid4().hex[:8]}"


@dataclass
class Engine:
    """An Ibis backend plus what Clearwater needs to know about it."""

    name: str
    con: Any  # ibis BaseBackend
    _spark: Any = field(default=None, repr=False)

    def table(self, data: pd.DataFrame | pa.Table, name: str | None = None) -> ibis.Table:
        """Put an in-memory table on this backend and return it as an Ibis table."""
        tname = name or f"{_PREFIX}_t{next(_counter)}"
        if isinstance(data, pd.DataFrame):
            data = pa.Table.from_pandas(data, preserve_index=False)
        if self.name == "pyspark":
            # A temporary view over an in-memory DataFrame: no warehouse files to collide
            # with between runs, and no disk write per table.
            frame = self._spark.createDataFrame(data)
            frame.createOrReplaceTempView(tname)
            return self.con.table(tname)
        return self.con.create_table(tname, data, overwrite=True)

    def execute(self, expr: ibis.Expr, **kwargs: Any) -> Any:
        return self.con.execute(expr, **kwargs)

    def to_pyarrow(self, expr: ibis.Table) -> pa.Table:
        return self.con.to_pyarrow(expr)

    def read_parquet(self, path: str, name: str | None = None) -> ibis.Table:
        return self.con.read_parquet(path, table_name=name or f"{_PREFIX}_p{next(_counter)}")


_SPARK_SESSION: Any = None


def _duckdb_memory_limit() -> str:
    """CLEARWATER_DUCKDB_MEMORY, or half of this machine's memory."""
    configured = os.environ.get("CLEARWATER_DUCKDB_MEMORY")
    if configured:
        return configured
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):  # pragma: no cover - non-POSIX
        return "4GB"
    return f"{max(1, total // 2 // 1024**3)}GB"


def spark_session() -> Any:
    """A local SparkSession tuned for a small machine (created once per process)."""
    global _SPARK_SESSION
    if _SPARK_SESSION is not None:
        return _SPARK_SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on install
        raise ClearwaterError(
            "the pyspark engine needs the 'spark' extra: pip install 'clearwater[spark]'"
        ) from exc
    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON", "python"))
    builder = (
        SparkSession.builder.master(os.environ.get("CLEARWATER_SPARK_MASTER", "local[2]"))
        .appName("clearwater")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", os.environ.get("CLEARWATER_SPARK_MEMORY", "4g"))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="clearwater-spark-"))
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    _SPARK_SESSION = session
    return session


def connect(name: str = "duckdb", *, session: Any = None, database: str = ":memory:") -> Engine:
    """Connect to an engine by name: ``duckdb`` (default) or ``pyspark``."""
    if name == "duckdb":
        con = ibis.duckdb.connect(database)
        # Leave room for the Python side (Arrow buffers of the input files) and let DuckDB
        # spill to disk rather than fail on a national-size year.
        con.raw_sql(f"SET memory_limit = '{_duckdb_memory_limit()}'")
        con.raw_sql(f"SET temp_directory = '{tempfile.gettempdir()}/clearwater-duckdb'")
        return Engine(name="duckdb", con=con)
    if name == "pyspark":
        spark = session or spark_session()
        con = ibis.pyspark.connect(spark)
        return Engine(name="pyspark", con=con, _spark=spark)
    raise ClearwaterError(f"unknown engine '{name}': choose one of {', '.join(ENGINES)}")
