"""Assemble :class:`~clearwater.report.core.Section` objects into one self-contained HTML page.

The page has inline CSS, inline SVG charts and no scripts, so it opens offline, passes through
e-mail and prints.  Section bodies are trusted HTML (built with :func:`core.escape`); every
other text (titles, summaries, metadata) is escaped here by the template engine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from clearwater.report.core import Section, escape

SUMMARY_ID = "summary"
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
    # A summary section opens the page, before the contents (one page a board member reads).
    first = sections[0] if sections and sections[0].id == SUMMARY_ID else None
    rest = list(sections[1:]) if first else list(sections)
    return template.render(
        title=title,
        lead=lead,
        meta=list(meta),
        css=Markup(_template_text("report.css")),
        first_html=Markup(section_html(first) if first else ""),
        contents_html=Markup(contents_html(rest)),
        sections_html=Markup("\n".join(section_html(s) for s in rest)),
        version=__version__,
        generated=when,
        definitions_href="#definitions" if "definitions" in _ids(sections) else "",
    )


def write_report(path: str | Path, page: str) -> Path:
    """Write the page (UTF-8) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


PAGES_DIR = "pages"


def detail_file(section: Section) -> str:
    """The file name (inside :data:`PAGES_DIR`) of a detail section's own page."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", section.id).strip("-") + ".html"


def split_details(sections: Sequence[Section]) -> tuple[list[Section], list[Section]]:
    """The sections for the main report (each detail section replaced by a short stub linking
    to its page) and the detail sections themselves, in report order."""
    details: list[Section] = []

    def walk(items: Sequence[Section]) -> list[Section]:
        out = []
        for s in items:
            if s.detail:
                details.append(s)
                if not s.stub:
                    continue
                link = f"{PAGES_DIR}/{detail_file(s)}"
                intro = s.detail_intro or (f"<p>{escape(s.summary)}</p>" if s.summary else "")
                out.append(
                    Section(
                        s.id,
                        s.title,
                        intro + f'<p class="detail-link"><a href="{escape(link)}">Open “'
                        f"{escape(s.title)}” (a separate page beside this report)</a></p>",
                        summary=s.summary,
                        level=s.level,
                    )
                )
            else:
                out.append(replace(s, children=walk(s.children)))
        return out

    return walk(sections), details


def _ids(sections: Sequence[Section]) -> set[str]:
    out: set[str] = set()
    for s in sections:
        out.add(s.id)
        out |= _ids(s.children)
    return out


def _relink(html_text: str, local: set[str], report_name: str) -> str:
    """In a detail page, in-page links to anchors that live in the main report point there."""

    def fix(m: re.Match[str]) -> str:
        target = m.group(1)
        if target in local or target == "contents-heading":
            return m.group(0)
        return f'href="../{report_name}#{target}"'

    return re.sub(r'href="#([^"]+)"', fix, html_text)


def write_report_pages(
    out_dir: str | Path,
    sections: Sequence[Section],
    *,
    title: str,
    meta: Sequence[tuple[str, str]] = (),
    lead: str = "",
    name: str = "report.html",
) -> tuple[Path, list[Path]]:
    """Write the main report and one page per detail section (in ``pages/``), all with the
    same renderer and styling.  Returns the report's path and the detail pages' paths."""
    out = Path(out_dir)
    main, details = split_details(sections)
    report = write_report(out / name, render_report(main, title=title, meta=meta, lead=lead))
    pages = []
    back = f'<p class="back"><a href="../{escape(name)}">Back to the main report</a></p>'
    for d in details:
        local = _ids([d])
        page_section = replace(d, detail=False, level=2)
        page = render_report(
            [page_section],
            title=f"{title}: {d.title}",
            meta=meta,
            lead="This page is part of the report and opens from it; "
            "links to definitions lead back to the main report.",
        )
        page = _relink(page, local, name).replace("<main>", "<main>" + back, 1)
        pages.append(write_report(out / PAGES_DIR / detail_file(d), page))
    return report, pages
