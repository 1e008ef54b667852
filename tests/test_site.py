"""The course website, both editions (English and Brazilian Portuguese), built and read in a
real browser.

``docs/build_site.py --fast`` builds the site (every lesson executed as a notebook, in fast
mode to keep the suite short; the published site is built in full mode, the same code path)
into ``en/`` and ``pt_BR/``; a local HTTP server serves it, and headless Chromium (Debian's
``chromium``, driven by Playwright for Python) opens the home page and every lesson page of
each edition, follows the language switch both ways, and checks: no console
error and no uncaught exception, every ``<img>`` loaded (``naturalWidth > 0``), the math
typeset by MathJax (no raw ``$$`` or unprocessed ``\\(`` left), the lesson's download links
and figures present, and that the "next" link leads to the next lesson. It saves a
screenshot of one lesson in ``build/site-test/``.

Needs ``pip install -e ".[docs]"`` and a ``chromium`` on PATH (``apt-get install chromium``).
Locally, without them, the tests skip with the reason; in CI (``CI=true``) they fail instead.
``MINIGAN_SITE_DIR=build/site pytest tests/test_site.py`` checks a site built before (for
example the full-mode one) instead of building one; ``MINIGAN_SITE_LESSONS=05,06`` builds and
checks only those lessons (a partial site, while a lesson is being edited).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))
# MINIGAN_SITE_LESSONS=05,06: build and check only these lessons (a partial site, while editing)
ONLY = os.environ.get("MINIGAN_SITE_LESSONS")
if ONLY:
    LESSONS = [p for p in LESSONS if p.name[:2] in {w.strip() for w in ONLY.split(",")}]
SCREENSHOT_DIR = ROOT / "build" / "site-test"
SCREENSHOT_LESSON = "14_gans"
EDITIONS = ("en", "pt_BR")
#: The home page's heading in each edition: the course's front page (docs/index.md), translated.
HOME_HEADINGS = {"en": "Generative adversarial networks", "pt_BR": "Redes adversárias generativas"}
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

pytestmark = pytest.mark.slow


def _need(condition: bool, reason: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the site test must run in CI; .ci/run installs it)")
        pytest.skip(reason)


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    prebuilt = os.environ.get("MINIGAN_SITE_DIR")  # check a site built before, e.g. the full-mode one
    if prebuilt:
        return Path(prebuilt)
    for module in ("sphinx", "myst_nb", "furo", "jupyter_server_mathjax", "nbclient", "ipykernel", "jupytext"):
        _need(_importable(module), f"{module} is not installed: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site") / "site"
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")  # small products on a shared 2-core machine (see test_lessons)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "build_site.py"), "--fast", "--out", str(out)]
        + (["--lessons", ONLY] if ONLY else []),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, f"site build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    for lesson in LESSONS:  # the build reports each lesson's time
        assert lesson.stem in proc.stdout, f"no time reported for {lesson.stem}:\n{proc.stdout}"
    return out


def test_site_has_every_page_and_download(site):
    assert (site / "index.html").is_file(), "no page to choose an edition"
    for lang in EDITIONS:
        ed = site / lang
        assert (ed / "index.html").is_file(), f"no {lang} edition"
        assert (ed / "_static" / "mathjax" / "MathJax.js").is_file(), f"{lang}: MathJax is not served from the site"
        for lesson in LESSONS:
            page = ed / "lessons" / f"{lesson.stem}.html"
            assert page.is_file(), f"{lang}: no page for {lesson.name}"
            html = page.read_text(encoding="utf-8")
            for suffix in (".ipynb", ".py"):
                assert f"{lesson.stem}{suffix}" in html, f"{lang}/{page.name}: no download link to the {suffix}"
            assert "<img" in html, f"{lang}/{page.name}: no figure"
        downloads = {p.name for p in (ed / "_downloads").rglob("*")}
        for lesson in LESSONS:
            assert {f"{lesson.stem}.ipynb", lesson.name} <= downloads, f"{lang}/{lesson.stem}: downloads missing"
    for page in site.rglob("*.html"):  # offline: nothing loaded from another host
        html = page.read_text(encoding="utf-8")
        assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "unpkg.com" not in html, (
            f"{page.relative_to(site)} loads something from a CDN"
        )


def test_the_editions_share_their_code(site):
    """Only the prose is translated: each lesson's downloadable script is the same file in both
    editions, and the code cells of its page are the same."""
    for lesson in LESSONS:
        scripts = {lang: next((site / lang / "_downloads").rglob(lesson.name)).read_bytes() for lang in EDITIONS}
        assert scripts["en"] == scripts["pt_BR"] == lesson.read_bytes(), lesson.name
        cells = {}
        for lang in EDITIONS:
            html = (site / lang / "lessons" / f"{lesson.stem}.html").read_text(encoding="utf-8")
            cells[lang] = re.findall(r'<div class="cell_input docutils container">(.*?)</div>\s*</div>', html, re.S)
        assert cells["en"] == cells["pt_BR"] and cells["en"], f"{lesson.stem}: the code cells differ between editions"


#: What an absolute path of a machine looks like (a home, a temporary or build folder).
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:home|root|tmp|work|Users|var|opt|private)/[\w.-]+")


def test_no_absolute_path_in_any_page_or_download(site):
    """Neither a page nor a downloadable notebook shows where the site was built: figures
    print paths relative to the lesson, and the build writes no absolute path into a page."""
    found = []
    for f in list(site.rglob("*.html")) + list((site / "_downloads").rglob("*.ipynb")):
        text = f.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", text)  # inline images
        for m in ABSOLUTE_PATH.finditer(text):
            found.append(f"{f.relative_to(site)}: ...{text[max(0, m.start() - 40) : m.end() + 20]}...")
    assert not found, "\n".join(found[:10])


def test_the_site_ships_no_doctrees(site):
    assert not list(site.rglob(".doctrees")) and not list(site.rglob("*.doctree")), "Sphinx's doctrees are in the site"


@pytest.mark.parametrize("lang", EDITIONS)
def test_the_footer_names_the_holder(site, lang):
    html = (site / lang / "index.html").read_text(encoding="utf-8")
    footer = html[html.find('class="copyright"') :][:300]
    assert "the minigan authors" in footer, footer


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    _need(_importable("playwright"), "playwright is not installed: pip install -e '.[docs]'")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    _need(chromium is not None, "no chromium on PATH (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # the reason, never a silent skip
            pytest.fail(f"chromium ({chromium}) did not start under Playwright: {exc}")
        yield browser
        browser.close()


_PAGE_STATE = """() => {
  const imgs = Array.from(document.images);
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
  const article = document.querySelector('article');
  const text = article ? article.innerText : document.body.innerText;
  const mathNodes = document.querySelectorAll('.math.notranslate');  // Sphinx's; MathJax adds its own .math
  const rendered = '.MathJax, .MathJax_Display, .MathJax_Preview + script, script[type^="math/tex"]';
  const unrendered = Array.from(mathNodes).filter(m => !m.querySelector(rendered))
                        .map(m => m.textContent.slice(0, 60));
  // the prose as a reader sees it, without code (where ^{ and _{ may stand) and typeset math
  let prose = '';
  if (article) {
    const copy = article.cloneNode(true);
    copy.querySelectorAll('pre, code, .MathJax, .MathJax_Display, .MathJax_Preview, script, .math')
        .forEach(n => n.remove());
    prose = copy.innerText;
  }
  const raw = (prose.match(/.{0,30}[\\^_]\\{.{0,30}/g) || []).slice(0, 5);
  const outputs = Array.from(document.querySelectorAll('.cell_output img'));
  const uncaptioned = outputs
      .filter(i => { const f = i.closest('figure'); return !f || !f.querySelector('figcaption'); })
      .map(i => i.getAttribute('src'));
  const scrolling = Array.from(document.querySelectorAll('article pre'))
                         .filter(p => p.scrollWidth > p.clientWidth + 1)
                         .map(p => p.innerText.split('\\n').find(l => l.length > 88) || p.innerText.slice(0, 60));
  const errors = Array.from(document.querySelectorAll('.merror, .MathJax .noError'))
                      .map(e => e.textContent.slice(0, 60));
  const col = article ? article.getBoundingClientRect().right : window.innerWidth;
  const wide = Array.from(document.querySelectorAll('.MathJax_Display'))
                    .filter(d => d.getBoundingClientRect().right > col + 1 || d.scrollWidth > d.clientWidth + 1)
                    .map(d => (d.textContent || '').slice(0, 60));
  return {images: imgs.length, broken: broken, rawDollars: text.includes('$$'), mathErrors: errors, wideMath: wide,
          math: mathNodes.length, typeset: document.querySelectorAll('script[type^="math/tex"]').length,
          displays: document.querySelectorAll('.MathJax_Display').length,
          unrendered: unrendered, title: document.title, raw: raw, figures: outputs.length,
          uncaptioned: uncaptioned, scrolling: scrolling.slice(0, 5),
          heading: (document.querySelector('article h1') || {}).innerText || '',
          lang: document.documentElement.lang};
}"""

_MATHJAX_DONE = """() => new Promise(resolve => {
  if (!window.MathJax || !window.MathJax.Hub) { resolve(false); return; }
  window.MathJax.Hub.Queue(() => resolve(true));
})"""


def _visit(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response.status if response else None}"
    page.evaluate(_MATHJAX_DONE)
    return page, problems


@pytest.mark.parametrize("lang", EDITIONS)
@pytest.mark.parametrize("stem", ["index"] + [p.stem for p in LESSONS])
def test_page_in_a_browser(stem, lang, browser, server):
    base = f"{server}/{lang}"
    url = f"{base}/index.html" if stem == "index" else f"{base}/lessons/{stem}.html"
    page, problems = _visit(browser, url)
    try:
        state = page.evaluate(_PAGE_STATE)
        assert not problems, f"{url}: " + "; ".join(problems)
        assert state["images"] > 0, f"{url}: no image"
        assert not state["broken"], f"{url}: images that did not load: {state['broken']}"
        assert not state["rawDollars"], f"{url}: raw $$ left in the text (math not rendered)"
        assert not state["unrendered"], f"{url}: math MathJax did not typeset: {state['unrendered'][:5]}"
        assert not state["mathErrors"], f"{url}: MathJax could not typeset (error boxes): {state['mathErrors'][:5]}"
        assert not state["wideMath"], f"{url}: display equations wider than the column: {state['wideMath'][:5]}"
        if state["math"]:
            assert state["typeset"] >= state["math"], f"{url}: {state['math']} formulas, {state['typeset']} typeset"
        if stem == "index":  # the home page is the course's front page, not the engineering README
            assert state["heading"].startswith(HOME_HEADINGS[lang]), state["heading"]
        assert state["lang"] == lang.replace("_", "-"), f"{url}: <html lang={state['lang']!r}>"
        if stem != "index":
            assert state["displays"] >= 1, f"{url}: no typeset display equation"
            assert not state["raw"], f"{url}: raw ^{{ or _{{ outside code and math: {state['raw']}"
            assert state["figures"] >= 1 and not state["uncaptioned"], (
                f"{url}: figures without a caption: {state['uncaptioned']}"
            )
            assert not state["scrolling"], f"{url}: code blocks wider than the page at 1280 px: {state['scrolling']}"
            if stem == SCREENSHOT_LESSON:
                SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT_DIR / f"{stem}-{lang}.png"), full_page=False)
        stems = ["index"] + [p.stem for p in LESSONS]
        i = stems.index(stem)
        if 0 < i < len(stems) - 1:  # the "next" link leads to the next lesson
            page.click("a.next-page")
            page.wait_for_load_state("load")
            assert page.url.endswith(f"/lessons/{stems[i + 1]}.html"), (
                f"{url}: 'next' went to {page.url}, expected {stems[i + 1]}"
            )
    finally:
        page.close()


def test_teaching_page_in_a_browser(site, browser, server):
    """docs/teaching.md is a page of the site, after the lessons (its "previous" link is the
    last lesson) and linked from the front page: it loads without a console error, and its
    code blocks fit the page at 1280 px."""
    site = site / "en"
    assert (site / "teaching.html").is_file(), "no page for docs/teaching.md"
    assert 'href="teaching.html"' in (site / "index.html").read_text(encoding="utf-8")
    page, problems = _visit(browser, f"{server}/en/teaching.html")
    try:
        state = page.evaluate(_PAGE_STATE)
        assert not problems, "teaching.html: " + "; ".join(problems)
        assert state["heading"].startswith("Teaching with minigan"), state["heading"]
        assert not state["scrolling"], f"teaching.html: code blocks wider than the page: {state['scrolling']}"
        assert not state["raw"] and not state["rawDollars"], state["raw"]
        previous = page.get_attribute("a.prev-page", "href") or ""
        assert previous.endswith(f"lessons/{LESSONS[-1].stem}.html"), previous
    finally:
        page.close()


def test_screenshot_was_saved(browser, server):
    if SCREENSHOT_LESSON not in [p.stem for p in LESSONS]:
        pytest.skip(f"{SCREENSHOT_LESSON} is not in this partial site (MINIGAN_SITE_LESSONS)")
    shot = SCREENSHOT_DIR / f"{SCREENSHOT_LESSON}-en.png"
    if not shot.exists():
        page, _ = _visit(browser, f"{server}/en/lessons/{SCREENSHOT_LESSON}.html")
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        page.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


@pytest.mark.parametrize("stem", ["index", "glossary"] + [p.stem for p in LESSONS[:1] + LESSONS[-1:]])
def test_the_language_switch_works_both_ways(stem, browser, server):
    """Every page has a link to the same page in the other edition: English -> Portuguese ->
    English lands where it started."""
    path = f"lessons/{stem}.html" if stem[:2].isdigit() else f"{stem}.html"
    page, problems = _visit(browser, f"{server}/en/{path}")
    try:
        page.click("a.language-switch")
        page.wait_for_load_state("load")
        page.evaluate(_MATHJAX_DONE)  # let the page finish (leaving earlier would cancel its fonts)
        assert page.url.endswith(f"/pt_BR/{path}"), page.url
        assert page.evaluate("() => document.documentElement.lang") == "pt-BR"
        page.click("a.language-switch")
        page.wait_for_load_state("load")
        page.evaluate(_MATHJAX_DONE)
        assert page.url.endswith(f"/en/{path}"), page.url
        assert not problems, "; ".join(problems)
    finally:
        page.close()


def test_the_root_page_offers_both_editions(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="en/index.html"' in html and 'href="pt_BR/index.html"' in html
