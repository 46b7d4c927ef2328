"""``clearwater.toml``: a service's settings for its reports, read once and checked whole.

Looked for in the data folder, then beside it (its parent folder), or given with ``--config``.
Every key is optional and documented in docs/reference/configuration.md; an unknown key or a
value of the wrong kind is an error naming the file and the key (a misspelt key silently
ignored would give a report that looks right and is not).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearwater.errors import ConfigError

CONFIG_NAME = "clearwater.toml"

# section -> key -> (type, what it means); the one list the reader checks and the docs follow
KEYS: dict[str, dict[str, tuple[type, str]]] = {
    "service": {
        "name": (str, "the service's name, used in report titles"),
    },
    "report": {
        "period": (str, "headline period, as --period (e.g. '2024-25', 'fy', 'all')"),
        "small_number_threshold": (int, "rates based on fewer people show 'too few to say'"),
    },
    "standards": {
        "recovery_rate": (float, "national recovery standard, per cent (50)"),
        "wait_6_weeks": (float, "share starting treatment within 6 weeks, per cent (75)"),
        "wait_18_weeks": (float, "share starting treatment within 18 weeks, per cent (95)"),
    },
}
# free-form tables: id -> display name
NAME_TABLES = ("teams", "clinicians")


@dataclass(frozen=True)
class ReportConfig:
    """The settings a report uses (defaults when there is no file)."""

    path: Path | None = None
    service_name: str | None = None
    period: str | None = None
    small_number_threshold: int | None = None
    standards: dict[str, float] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    clinicians: dict[str, str] = field(default_factory=dict)

    def team(self, team_id: Any) -> str:
        """A team's display name (its id when none is configured)."""
        key = "" if team_id is None else str(team_id)
        return self.teams.get(key, key)

    def clinician(self, clinician_id: Any) -> str:
        key = "" if clinician_id is None else str(clinician_id)
        return self.clinicians.get(key, key)


def find_config(data_dir: Path | None) -> Path | None:
    """``clearwater.toml`` in the data folder, else in the folder that holds it."""
    if data_dir is None:
        return None
    data_dir = Path(data_dir)
    for folder in (data_dir, data_dir.parent):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def _check(value: Any, kind: type, where: str) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError(f"{where} must be {kind.__name__}, not {type(value).__name__}")
    return value


def load_config(path: Path | None = None, *, data_dir: Path | None = None) -> ReportConfig:
    """Read ``path`` (or the file found beside ``data_dir``); no file gives the defaults."""
    if path is None:
        path = find_config(data_dir)
        if path is None:
            return ReportConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"configuration file not found: {path}")
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    known = set(KEYS) | {"names"}
    for section in doc:
        if section not in known:
            raise ConfigError(
                f"{path}: unknown section [{section}]; known: {', '.join(sorted(known))}"
            )
    values: dict[str, Any] = {}
    standards: dict[str, float] = {}
    for section, keys in KEYS.items():
        got = doc.get(section, {})
        if not isinstance(got, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
        for key, value in got.items():
            if key not in keys:
                raise ConfigError(
                    f"{path}: unknown key {key!r} in [{section}]; known: {', '.join(keys)}"
                )
            v = _check(value, keys[key][0], f"{path}: [{section}] {key}")
            if section == "standards":
                if not 0 <= v <= 100:
                    raise ConfigError(f"{path}: [standards] {key} must be a per cent (0 to 100)")
                standards[key] = v
            else:
                values[key] = v
    names: dict[str, dict[str, str]] = {t: {} for t in NAME_TABLES}
    got = doc.get("names", {})
    for table, mapping in got.items():
        if table not in NAME_TABLES:
            raise ConfigError(
                f"{path}: unknown table [names.{table}]; known: {', '.join(NAME_TABLES)}"
            )
        for key, value in mapping.items():
            names[table][str(key)] = _check(value, str, f"{path}: [names.{table}] {key}")
    threshold = values.get("small_number_threshold")
    if threshold is not None and threshold < 1:
        raise ConfigError(f"{path}: [report] small_number_threshold must be at least 1")
    return ReportConfig(
        path=path,
        service_name=values.get("name"),
        period=values.get("period"),
        small_number_threshold=threshold,
        standards=standards,
        teams=names["teams"],
        clinicians=names["clinicians"],
    )
