#!/usr/bin/env python3
"""Vendor the NHS design system (nhsuk-frontend) and axe-core from their npm packages.

Usage: scripts/vendor_frontend.py NHSUK_FRONTEND.tgz AXE_CORE.tgz
(get the tarballs with ``npm pack nhsuk-frontend@10.6.1 axe-core@4.14.1``).

Copies the compiled CSS/JS and images of nhsuk-frontend into the app's static files, with
two changes so nothing loads from outside the app: the @font-face rules that point at
the NHS font CDN are removed (the licensed Frutiger font is not redistributable; the CSS
falls back to Arial), and image URLs are made relative.  axe.min.js goes to the browser
tests only.
"""

from __future__ import annotations

import re
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src/clearwater/web/static/nhsuk"
AXE = ROOT / "tests/web/vendor"


def main(nhs_tgz: str, axe_tgz: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        with tarfile.open(nhs_tgz) as tf:
            tf.extractall(t / "nhs", filter="data")
        with tarfile.open(axe_tgz) as tf:
            tf.extractall(t / "axe", filter="data")
        dist = t / "nhs/package/dist/nhsuk"
        version = __import__("json").loads((t / "nhs/package/package.json").read_text())["version"]
        if STATIC.exists():
            shutil.rmtree(STATIC)
        (STATIC / "images").mkdir(parents=True)
        css = (dist / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
        css = re.sub(r"@font-face\{[^}]*assets\.nhs\.uk[^}]*\}", "", css)
        css = css.replace("url(/assets/images/", "url(images/")
        if "assets.nhs.uk" in css or "https://" in css:
            raise SystemExit("nhsuk-frontend CSS still refers to an outside address")
        (STATIC / "nhsuk-frontend.min.css").write_text(css, encoding="utf-8")
        shutil.copy(dist / "nhsuk-frontend.min.js", STATIC / "nhsuk-frontend.min.js")
        for img in (dist / "assets/images").iterdir():
            shutil.copy(img, STATIC / "images" / img.name)
        readme = (t / "nhs/package/README.md").read_text(encoding="utf-8")
        licence = readme[readme.index("## Licence") :].split("\n## ")[0]
        (STATIC / "LICENCE.md").write_text(
            f"# nhsuk-frontend {version} (npm package, MIT licence)\n\n"
            "Compiled files copied from the npm package `nhsuk-frontend` by "
            "scripts/vendor_frontend.py (font-face rules pointing at the NHS font CDN removed, "
            "image URLs made relative).  The package's own licence statement:\n\n" + licence + "\n",
            encoding="utf-8",
        )
        AXE.mkdir(parents=True, exist_ok=True)
        shutil.copy(t / "axe/package/axe.min.js", AXE / "axe.min.js")
        shutil.copy(t / "axe/package/LICENSE", AXE / "axe-core-LICENSE.txt")
    print(f"vendored nhsuk-frontend {version} into {STATIC} and axe-core into {AXE}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
