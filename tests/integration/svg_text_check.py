#!/usr/bin/env python3
"""Text that does not fit its chart, measured by the browser (not a test itself).

  svg_text_check.py BROWSER WORKDIR FILE...   FILE: an .html page (its <svg> charts) or an .svg

Puts every chart of the files on one page with a small script, renders it in headless Chromium
(--dump-dom runs the script) and has the browser measure each <text> with the fonts it really
uses. A chart fails when a text
  - leaves the chart's box (the svg clips it: the legend label cut at the right edge),
  - overlaps another text of the same chart (crowded labels, a legend entry running into the
    next column),
  - is centred in a filled shape (a bar, a segment) but does not fit inside it,
  - runs into a filled shape it is not centred in (a legend swatch, a bar, a point).
Prints each problem, and the number of texts measured per chart; exits 1 on a problem or when
a chart has no text at all (nothing measured must not pass), 0 otherwise.
"""
import html
import json
import os
import re
import subprocess
import sys

SCRIPT = r"""
(function () {
  const problems = [], counts = [];
  const SLACK = 0.5;  // px: rounding of the layout
  const inside = (a, b) => a.left >= b.left - SLACK && a.right <= b.right + SLACK &&
                           a.top >= b.top - SLACK && a.bottom <= b.bottom + SLACK;
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
                            Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  document.querySelectorAll('svg').forEach((svg, k) => {
    const head = svg.querySelector(':scope > title') || svg.querySelector('text');
    const title = head ? head.textContent : 'chart ' + k;
    const box = svg.getBoundingClientRect();
    // Glyph boxes are taller than the ink: use the text's measured advance for the width and
    // the font's ascent/descent for the height, as the browser lays them out.
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() !== '');
    const rects = texts.map(t => t.getBoundingClientRect());
    // Filled shapes a label may sit in (a bar, a segment) or must keep clear of (a legend
    // swatch, the next bar, a point); the background and frames (fill none) are neither.
    const filled = e => { const f = e.getAttribute('fill'); return f !== 'none'; };
    const shapes = [...svg.querySelectorAll('rect, circle')]
      .filter(e => filled(e) && !(e.tagName === 'rect' && e.getAttribute('width') === svg.getAttribute('width')))
      .map(e => [e, e.getBoundingClientRect()]);
    const name = t => JSON.stringify(t.textContent);
    const what = e => e.tagName + (e.getAttribute('class') ? '.' + e.getAttribute('class') : '');
    const fmt = r => '[' + [r.left, r.top, r.right, r.bottom].map(v => v.toFixed(1)).join(', ') + ']';
    texts.forEach((t, i) => {
      const r = rects[i];
      if (!inside(r, box)) {
        problems.push(title + ': text ' + name(t) + ' ' + fmt(r) + ' leaves the chart ' + fmt(box));
      }
      const cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
      for (const [shape, s] of shapes) {
        const holds = cx > s.left && cx < s.right && cy > s.top && cy < s.bottom;
        if (holds && !inside(r, s)) {
          problems.push(title + ': text ' + name(t) + ' ' + fmt(r) + ' does not fit its ' +
                        what(shape) + ' ' + fmt(s));
        } else if (!holds && overlap(r, s)) {
          problems.push(title + ': text ' + name(t) + ' ' + fmt(r) + ' runs into a ' +
                        what(shape) + ' ' + fmt(s));
        }
      }
      for (let j = i + 1; j < texts.length; j++) {
        if (overlap(r, rects[j])) {
          problems.push(title + ': text ' + name(t) + ' ' + fmt(r) + ' overlaps ' + name(texts[j]) +
                        ' ' + fmt(rects[j]));
        }
      }
    });
    counts.push([title, texts.length]);
  });
  const pre = document.createElement('pre');
  pre.id = 'svg-text-check';
  pre.textContent = JSON.stringify({problems: problems, counts: counts});
  document.body.appendChild(pre);
})();
"""


def charts_of(path):
    text = open(path, encoding="utf-8").read()
    if path.endswith(".svg"):
        return [re.sub(r"^<\?xml[^>]*>\s*", "", text)]
    return re.findall(r"<svg\b.*?</svg>", text, flags=re.S)


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    browser, workdir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        charts = [c for f in files for c in charts_of(f)]
    except OSError as e:
        print("svg_text_check: %s" % e, file=sys.stderr)
        return 1
    if not charts:
        print("svg_text_check: no chart in %s" % " ".join(files), file=sys.stderr)
        return 1
    # The report's page style matters (svg{max-width:100%}): charts keep their own size here,
    # on a page wide enough for the widest, so that what is measured is the chart as drawn.
    page = os.path.join(workdir, "svg_text_check.html")
    with open(page, "w", encoding="utf-8") as f:
        f.write("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{margin:0}"
                "svg{display:block;margin:8px}</style></head><body>\n")
        for c in charts:
            f.write(c + "\n")
        f.write("<script>" + SCRIPT + "</script></body></html>\n")
    profile = os.path.join(workdir, "svg_text_check.profile")
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--user-data-dir=" + profile, "--window-size=4000,3000",
           "--dump-dom", "file://" + os.path.abspath(page)]
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    m = re.search(r'<pre id="svg-text-check">(.*?)</pre>', run.stdout.decode("utf-8", "replace"),
                  flags=re.S)
    if m is None:
        print("svg_text_check: the browser gave no measurements (exit %d): %s" %
              (run.returncode, run.stderr.decode("utf-8", "replace")[-400:]), file=sys.stderr)
        return 1
    result = json.loads(html.unescape(m.group(1)))
    for title, n in result["counts"]:
        print("%4d texts measured: %s" % (n, title))
    empty = [title for title, n in result["counts"] if n == 0]
    for p in result["problems"]:
        print("svg_text_check: " + p, file=sys.stderr)
    for title in empty:
        print("svg_text_check: %s: no text measured" % title, file=sys.stderr)
    return 1 if result["problems"] or empty else 0


if __name__ == "__main__":
    sys.exit(main())
