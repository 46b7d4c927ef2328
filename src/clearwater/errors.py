"""One exception family for everything a user can get wrong.

Commands catch :class:`ClearwaterError`, print its message and exit non-zero
without a traceback.  Input validation never uses ``assert``.
"""

from __future__ import annotations


class ClearwaterError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(ClearwaterError):
    """A configuration or threshold file is wrong."""


class DataContractError(ClearwaterError):
    """Input data break the data contract.

    Names the file and, where known, the row (1-based line number in the file,
    header = line 1) and column, so the user can find the problem.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.reason = message
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)
