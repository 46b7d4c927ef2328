"""Item texts and answer anchors (``items.toml``) for the instruments whose licence allows
showing them; the others are flagged ``text = false`` with their licence note."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from clearwater.errors import ConfigError


@dataclass(frozen=True)
class ItemTexts:
    code: str
    licence: str
    source: str
    stem: str
    items: tuple[str, ...]
    anchors: tuple[tuple[int, str], ...]
    risk_item: int | None = None


@dataclass(frozen=True)
class TextRegister:
    version: str
    texts: dict[str, ItemTexts]  # instruments with shippable text
    restricted: dict[str, str]  # instrument -> licence note (no text shipped)


def parse_texts(code: str, spec: dict[str, Any], items_expected: int | None = None) -> ItemTexts:
    """Check one instrument's texts: a stem, the items, anchors as [value, label] pairs."""
    for key in ("items", "anchors", "licence"):
        if key not in spec:
            raise ConfigError(f"item texts for {code}: missing '{key}'")
    items = tuple(str(s) for s in spec["items"])
    if items_expected is not None and len(items) != items_expected:
        raise ConfigError(
            f"item texts for {code}: {len(items)} items, the instrument has {items_expected}"
        )
    try:
        anchors = tuple((int(v), str(label)) for v, label in spec["anchors"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"item texts for {code}: anchors must be [value, label] pairs") from exc
    risk = spec.get("risk_item")
    if risk is not None and not (1 <= int(risk) <= len(items)):
        raise ConfigError(f"item texts for {code}: risk_item {risk} is not an item number")
    return ItemTexts(
        code=code,
        licence=str(spec["licence"]),
        source=str(spec.get("source", "")),
        stem=str(spec.get("stem", "")),
        items=items,
        anchors=anchors,
        risk_item=int(risk) if risk is not None else None,
    )


def load_item_texts() -> TextRegister:
    from clearwater.instruments import load_instruments

    data = tomllib.loads(
        resources.files("clearwater.instruments").joinpath("items.toml").read_text("utf-8")
    )
    inst = load_instruments()
    texts: dict[str, ItemTexts] = {}
    restricted: dict[str, str] = {}
    for code, spec in data.items():
        if not isinstance(spec, dict):
            continue
        if code not in inst.instruments:
            raise ConfigError(f"items.toml: {code} is not an instrument")
        if spec.get("text"):
            texts[code] = parse_texts(code, spec, inst[code].items)
        else:
            restricted[code] = str(spec.get("licence", ""))
    return TextRegister(version=str(data.get("version", "")), texts=texts, restricted=restricted)
