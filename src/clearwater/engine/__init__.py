"""Row-level work on the clean data set: pathways and outcome flags as Ibis expressions on DuckDB
(default) or PySpark.  ``Engine`` and ``connect`` come from :mod:`clearwater.backend` and are
re-exported here for callers."""

from clearwater.backend import ENGINES, Engine, connect

__all__ = ["ENGINES", "Engine", "connect"]
