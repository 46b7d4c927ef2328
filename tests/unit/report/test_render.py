from __future__ import annotations

import re

import pytest

from clearwater.report.core import Section
from clearwater.report.render import contents_html, render_report


def test_page_is_self_contained_with_contents_and_nested_headings():
    secs = [
        Section("one", "First <part>", "<p>body one</p>", "about one"),
        Section(
            "two",
            "Second",
            "<p>body two</p>",
            children=[Section("two-a", "Inner", "<p>inner</p>", level=3)],
        ),
    ]
    page = render_report(secs, title="Report & co", meta=[("Data", "folder <x>")])
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in page
    assert "<title>Report &amp; co</title>" in page
    assert "folder &lt;x&gt;" in page
    assert "First &lt;part&gt;" in page
    assert '<h2 id="one-h">' in page and '<h3 id="two-a-h">' in page
    assert '<a href="#two-a">Inner</a>' in page
    assert "<style>" in page and "<script" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)


def test_duplicate_or_bad_ids_are_refused():
    with pytest.raises(ValueError, match="twice"):
        render_report([Section("a", "A", ""), Section("a", "B", "")], title="t")
    with pytest.raises(ValueError, match="valid HTML id"):
        render_report([Section("a b", "A", "")], title="t")


def test_contents_lists_summaries():
    html = contents_html([Section("x", "X", "", "one line")])
    assert "one line" in html and 'href="#x"' in html
