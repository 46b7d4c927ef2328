"""Assemble :class:`~clearwater.report.core.Section` objects into one self-contained HTML page.

The page has inline CSS, inline SVG charts and no scripts, so it opens offline, passes through
e-mail and prints.  Section bodies are trusted HTML (built with :func:`core.escape`); every
other text (titles, summaries, metadata) is escaped here by the template engine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from clearwater.report.core import Section, escape

_ID_OK = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")


def _template_text(name: str) -> str:
    return resources.files("clearwater.report").joinpath("templates", name).read_text("utf-8")


def _check_ids(sections: Sequence[Section]) -> None:
    """Section ids are in-page anchors: they must be valid and unique."""
    seen: set[str] = set()

    def walk(items: Sequence[Section]) -> None:
        for s in items:
            if not _ID_OK.match(s.id):
                raise ValueError(f"section id {s.id!r} is not a valid HTML id")
            if s.id in seen:
                raise ValueError(f"section id {s.id!r} is used twice")
            seen.add(s.id)
            walk(s.children)

    walk(sections)


def contents_html(sections: Sequence[Section]) -> str:
    """A nested, numbered list of links to every section, with its one-line summary."""

    def items(level: Sequence[Section]) -> str:
        out = []
        for s in level:
            summary = f' <span class="summary">— {escape(s.summary)}</span>' if s.summary else ""
            kids = items(s.children) if s.children else ""
            out.append(f'<li><a href="#{escape(s.id)}">{escape(s.title)}</a>{summary}{kids}</li>')
        return "<ol>" + "".join(out) + "</ol>"

    return items(sections)


def section_html(section: Section, level: int | None = None) -> str:
    """One section (and its children, one heading level down) as an HTML ``<section>``.

    Top-level sections end with a link back to the contents."""
    lvl = max(2, min(6, level if level is not None else section.level))
    kids = "".join(section_html(c, max(c.level, lvl + 1)) for c in section.children)
    back = (
        '<p class="back"><a href="#contents-heading">Back to contents</a></p>' if lvl == 2 else ""
    )
    return (
        f'<section id="{escape(section.id)}" aria-labelledby="{escape(section.id)}-h">'
        f'<h{lvl} id="{escape(section.id)}-h">{escape(section.title)}</h{lvl}>'
        f"{section.body_html}{kids}{back}"
        "</section>"
    )


def render_report(
    sections: Sequence[Section],
    *,
    title: str,
    meta: Sequence[tuple[str, str]] = (),
    lead: str = "",
    generated: dt.datetime | None = None,
) -> str:
    """The whole report page as one HTML string."""
    from clearwater import __version__

    _check_ids(sections)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_template_text("report.html.j2"))
    when = (generated or dt.datetime.now()).strftime("%d %B %Y at %H:%M")
    return template.render(
        title=title,
        lead=lead,
        meta=list(meta),
        css=Markup(_template_text("report.css")),
        contents_html=Markup(contents_html(sections)),
        sections_html=Markup("\n".join(section_html(s) for s in sections)),
        version=__version__,
        generated=when,
    )


def write_report(path: str | Path, page: str) -> Path:
    """Write the page (UTF-8) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
