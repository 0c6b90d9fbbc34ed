"""Render a prunegraph HTML report in headless Chromium and check its layout.

    python scripts/screenshot_report.py prunegraph-out/report.html --width 1280 --png shot.png

Chromium (Debian package ``chromium``) lays the page out at ``--width`` CSS pixels.  A copy of
the report gets a small script that measures, after layout, the page's scroll width and the box
of every cell of the column headed "verdict" in every table; Chromium's ``--dump-dom`` returns the page with the
measurements written into it, and this script prints them as JSON (and exits 1 when the page
scrolls sideways or a verdict cell of a table on show (not inside a closed <details>) lies
outside the window, e.g. cut off inside a sideways-scrolling box).
``--png`` also writes a screenshot of the top of the page (``--height`` pixels) to look at.

Nothing is fetched: the report is self-contained and Chromium runs with networking off.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_MEASURE = """
<script>
(function () {
  if (OPEN_DETAILS) document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  function box(el) { var r = el.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; }
  var out = {viewport: window.innerWidth, scroll_width: document.documentElement.scrollWidth,
             tables: []};
  document.querySelectorAll("table").forEach(function (t) {
    var details = t.closest("details");
    var heads = Array.prototype.map.call(t.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim(); });
    var col = heads.indexOf("verdict");
    var cells = col < 0 ? [] : Array.prototype.map.call(
      t.querySelectorAll("tbody tr > td:nth-child(" + (col + 1) + ")"), box);
    out.tables.push({
      in_closed_details: !!(details && !details.open),
      width: t.getBoundingClientRect().width,
      headers: heads,
      verdict_header: col < 0 ? [] : [box(t.querySelectorAll("thead th")[col])],
      verdict_cells: cells
    });
  });
  var pre = document.createElement("pre");
  pre.id = "prunegraph-layout";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def find_chromium() -> str | None:
    """Path of a Chromium executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _chromium(args: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    exe = find_chromium()
    if exe is None:
        raise SystemExit("chromium not found; install it (Debian: apt-get install -y chromium)")
    base = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
            "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(base + [f"--user-data-dir={profile}"] + args, capture_output=True,
                              text=True, timeout=timeout)


def measure(report: str | os.PathLike, *, width: int = 1280, height: int = 900,
            open_details: bool = False, timeout: float = 120.0) -> dict:
    """Lay ``report`` out in headless Chromium at ``width`` × ``height`` CSS pixels and return
    the measurements (viewport, scroll_width, and per table its verdict boxes); with
    ``open_details`` every expandable section (the all-columns tables) is opened first."""
    text = Path(report).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        script = _MEASURE.replace("OPEN_DETAILS", "true" if open_details else "false")
        page.write_text(text.replace("</body>", script + "</body>", 1), encoding="utf-8")
        proc = _chromium([f"--window-size={width},{height}", "--virtual-time-budget=5000",
                          "--dump-dom", page.as_uri()], timeout=timeout)
    found = re.search(r'<pre id="prunegraph-layout">(.*?)</pre>', proc.stdout, re.S)
    if not found:
        raise RuntimeError(f"chromium gave no layout (exit {proc.returncode}): {proc.stderr[-500:]}")
    import html

    return json.loads(html.unescape(found.group(1)))


def screenshot(report: str | os.PathLike, png: str | os.PathLike, *, width: int = 1280,
               height: int = 900, timeout: float = 120.0) -> Path:
    """Write a PNG of the top ``height`` pixels of ``report`` laid out at ``width``."""
    png = Path(png).resolve()
    proc = _chromium([f"--window-size={width},{height}", f"--screenshot={png}",
                      Path(report).resolve().as_uri()], timeout=timeout)
    if not png.is_file():
        raise RuntimeError(f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-500:]}")
    return png


def problems(layout: dict) -> list[str]:
    """What is wrong with a measured layout: sideways scroll, a verdict outside the window."""
    out = []
    vw = layout["viewport"]
    if layout["scroll_width"] > vw:
        out.append(f"the page scrolls sideways: {layout['scroll_width']} px wide in a {vw} px window")
    for i, t in enumerate(layout["tables"]):
        if t["in_closed_details"]:
            continue
        if not t["verdict_header"]:
            out.append(f"table {i}: no verdict column")
        for left, right, *_ in t["verdict_header"] + t["verdict_cells"]:
            if right > vw + 0.5 or left < 0:
                out.append(f"table {i}: a verdict cell spans {left:.0f}-{right:.0f} px, outside 0-{vw} px")
                break
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report", help="the report.html to render")
    ap.add_argument("--width", type=int, default=1280, help="window width in CSS pixels (1280)")
    ap.add_argument("--height", type=int, default=900, help="window height for the screenshot (900)")
    ap.add_argument("--png", help="also write a screenshot here")
    ap.add_argument("--open-details", action="store_true",
                    help="open the expandable all-columns tables before measuring")
    args = ap.parse_args(argv)
    layout = measure(args.report, width=args.width, height=args.height, open_details=args.open_details)
    bad = problems(layout)
    if args.png:
        screenshot(args.report, args.png, width=args.width, height=args.height)
    summary = {"viewport": layout["viewport"], "scroll_width": layout["scroll_width"],
               "tables": len(layout["tables"]),
               "rightmost_verdict_px": max((b[1] for t in layout["tables"] if not t["in_closed_details"]
                                            for b in t["verdict_header"] + t["verdict_cells"]), default=None),
               "problems": bad}
    print(json.dumps(summary, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
