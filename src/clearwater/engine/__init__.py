"""Row-level work: Ibis expressions on DuckDB (default) or PySpark."""

from clearwater.engine.backend import ENGINES, Engine, connect

__all__ = ["ENGINES", "Engine", "connect"]
