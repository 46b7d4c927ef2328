"""Questionnaire definitions as data: items, ranges, caseness, reliable change.

The shipped ``thresholds.toml`` is versioned; a user file can override any value.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from clearwater.errors import ConfigError

CORE_DEPRESSION = "PHQ9"
CORE_ANXIETY = "GAD7"


@dataclass(frozen=True)
class Instrument:
    """One questionnaire.  Higher scores are worse."""

    code: str
    name: str
    min: float
    max: float
    items: int
    item_min: int
    item_max: int
    integer: bool
    status: str
    snomed: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    caseness: float | None = None
    caseness_operator: str = ">="
    reliable_change: float | None = None
    status_note: str = ""
    source: str = ""

    @property
    def has_caseness(self) -> bool:
        return self.caseness is not None

    def is_case(self, score: float) -> bool:
        """Is one score at clinical caseness?"""
        if self.caseness is None:
            raise ConfigError(f"instrument {self.code} has no caseness threshold")
        if self.caseness_operator == ">":
            return score > self.caseness
        return score >= self.caseness


@dataclass(frozen=True)
class Descriptor:
    """A problem descriptor (presenting complaint grouping) and its anxiety measure."""

    code: str
    label: str
    codes: tuple[str, ...]
    adsm: str | None
    status: str
    status_note: str = ""


@dataclass(frozen=True)
class WaitStandards:
    six_weeks_days: int = 42
    eighteen_weeks_days: int = 126
    first_to_second_long_days: int = 90
    bands: tuple[int, ...] = (28, 56, 90)


@dataclass(frozen=True)
class Instruments:
    """All instruments, descriptors and wait standards in force for a run."""

    version: str
    instruments: dict[str, Instrument]
    descriptors: dict[str, Descriptor]
    waits: WaitStandards
    _tool_lookup: dict[str, str] = field(default_factory=dict, repr=False)

    def __getitem__(self, code: str) -> Instrument:
        return self.instruments[code]

    def resolve_tool(self, value: str) -> str | None:
        """Map a CodedAssToolType value (SNOMED code or short name) to an instrument code."""
        return self._tool_lookup.get(str(value).strip().upper())

    @property
    def tool_lookup(self) -> dict[str, str]:
        return dict(self._tool_lookup)

    def descriptor_for_code(self, code: str) -> str | None:
        """The descriptor for one presenting-complaint code (ICD-10 with or without dot, or SNOMED).

        Returns None for an empty code; ``"other"`` for a code no descriptor claims.
        """
        c = normalise_complaint_code(code)
        if not c:
            return None
        best: tuple[int, str] | None = None
        for d in self.descriptors.values():
            for prefix in d.codes:
                if prefix.isdigit():
                    hit = c == prefix
                else:
                    hit = c.startswith(prefix)
                if hit and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), d.code)
        return best[1] if best else "other"

    def adsm_descriptors(self) -> dict[str, str]:
        """Descriptor code -> ADSM instrument code, for descriptors that have one."""
        return {d.code: d.adsm for d in self.descriptors.values() if d.adsm}


def normalise_complaint_code(code: Any) -> str:
    """Upper-case, strip spaces and the ICD-10 dot: 'f41.1' -> 'F411'."""
    if code is None:
        return ""
    return str(code).strip().upper().replace(".", "").replace(" ", "")


def _deep_merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _read_toml(path: Path | None) -> dict:
    if path is None:
        text = resources.files("clearwater.instruments").joinpath("thresholds.toml").read_text()
        return tomllib.loads(text)
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"thresholds file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"thresholds file {path} is not valid TOML: {exc}") from exc


_INSTRUMENT_KEYS = {
    "name", "snomed", "aliases", "items", "item_min", "item_max", "min", "max", "integer",
    "caseness", "caseness_operator", "reliable_change", "status", "status_note", "source",
}  # fmt: skip


def load_instruments(override: Path | str | None = None) -> Instruments:
    """Load the shipped definitions, merged with an optional user override file."""
    data = _read_toml(None)
    if override is not None:
        data = _deep_merge(data, _read_toml(Path(override)))
    instruments: dict[str, Instrument] = {}
    lookup: dict[str, str] = {}
    for code, spec in data.get("instruments", {}).items():
        unknown = set(spec) - _INSTRUMENT_KEYS
        if unknown:
            raise ConfigError(f"instrument {code}: unknown keys {sorted(unknown)}")
        for req in ("name", "min", "max", "items", "item_min", "item_max", "status"):
            if req not in spec:
                raise ConfigError(f"instrument {code}: missing '{req}'")
        op = spec.get("caseness_operator", ">=")
        if op not in (">=", ">"):
            raise ConfigError(f"instrument {code}: caseness_operator must be '>=' or '>'")
        if spec.get("status") not in ("SOURCED", "UNCERTAIN"):
            raise ConfigError(f"instrument {code}: status must be SOURCED or UNCERTAIN")
        inst = Instrument(
            code=code,
            name=spec["name"],
            min=spec["min"],
            max=spec["max"],
            items=spec["items"],
            item_min=spec["item_min"],
            item_max=spec["item_max"],
            integer=bool(spec.get("integer", True)),
            status=spec["status"],
            snomed=tuple(str(s) for s in spec.get("snomed", [])),
            aliases=tuple(spec.get("aliases", [])),
            caseness=spec.get("caseness"),
            caseness_operator=op,
            reliable_change=spec.get("reliable_change"),
            status_note=spec.get("status_note", ""),
            source=spec.get("source", ""),
        )
        instruments[code] = inst
        for key in (code, *inst.aliases, *inst.snomed):
            lookup[str(key).strip().upper()] = code
    for core in (CORE_DEPRESSION, CORE_ANXIETY):
        if core not in instruments or instruments[core].caseness is None:
            raise ConfigError(f"instrument {core} must be defined with a caseness threshold")
    descriptors: dict[str, Descriptor] = {}
    for code, spec in data.get("descriptors", {}).items():
        adsm = spec.get("adsm")
        if adsm is not None and (adsm not in instruments or instruments[adsm].caseness is None):
            raise ConfigError(f"descriptor {code}: ADSM {adsm} is not an instrument with caseness")
        descriptors[code] = Descriptor(
            code=code,
            label=spec.get("label", code),
            codes=tuple(normalise_complaint_code(c) for c in spec.get("codes", [])),
            adsm=adsm,
            status=spec.get("status", "SOURCED"),
            status_note=spec.get("status_note", ""),
        )
    w = data.get("waits", {})
    waits = WaitStandards(
        six_weeks_days=int(w.get("six_weeks_days", 42)),
        eighteen_weeks_days=int(w.get("eighteen_weeks_days", 126)),
        first_to_second_long_days=int(w.get("first_to_second_long_days", 90)),
        bands=tuple(int(b) for b in w.get("bands", (28, 56, 90))),
    )
    return Instruments(
        version=str(data.get("version", "unknown")),
        instruments=instruments,
        descriptors=descriptors,
        waits=waits,
        _tool_lookup=lookup,
    )
