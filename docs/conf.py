"""Sphinx configuration of the course website (copied into the staged sources by build_site.py).

Sphinx + MyST-NB + Furo: MyST-NB renders the notebooks that build_site.py executed (it
executes nothing itself), MyST parses the Markdown pages with $...$ / $$...$$ math, and the
math is typeset in the browser by MathJax 2.7 from the `jupyter-server-mathjax` package,
copied into the site's _static/mathjax/: no CDN, the site works offline.
"""

project = "minigan"
author = "the minigan authors"
copyright = "2026, the minigan authors (MIT license; the MNIST digits: CC BY-SA 3.0, see NOTICE.md)"
html_title = "GANs from the first neuron: a minigan course"

extensions = ["myst_nb"]
exclude_patterns = ["_build", ".doctrees", "lessons/files/**", "_figures/**", "_mathjax/**", "**/.ipynb_checkpoints"]
nb_execution_mode = "off"  # build_site.py executed and timed every lesson already
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "misc.highlighting_failure"]

# Two editions: English (the source) and Brazilian Portuguese. build_site.py passes
# -D language=pt_BR; the translations are docs/locale/pt_BR/LC_MESSAGES/*.po, one catalog per
# page (gettext_compact = False), without source locations (they would change at every edit).
language = "en"
locale_dirs = ["locale/"]
gettext_compact = False
gettext_uuid = False
gettext_location = False
templates_path = ["_templates"]

html_theme = "furo"
html_sidebars = {
    "**": [
        "sidebar/brand.html",
        "sidebar/language.html",  # the same page in the other edition (docs/_templates/)
        "sidebar/search.html",
        "sidebar/scroll-start.html",
        "sidebar/navigation.html",
        "sidebar/scroll-end.html",
    ]
}
html_static_path = ["_mathjax"]  # -> _static/mathjax/MathJax.js
html_favicon = "favicon.png"  # written by build_site.py (else the browser asks for /favicon.ico)
html_show_sourcelink = False
html_copy_source = False
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    # The package ships the STIX-Web web fonts only (as Jupyter's classic notebook used them).
    # MathJax 2's font-loading probe @font-face MathJax_Blank points at url('about:blank'),
    # which Chromium reports as a console error (CORS); a local() source asks no network.
    "HTML-CSS": {
        "availableFonts": [],
        "imageFont": None,
        "preferredFont": None,
        "webFont": "STIX-Web",
        "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}},
    },
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        "processClass": "math|output_area",
        "ignoreClass": "tex2jax_ignore|highlight",
    },
    # assistiveMML: no hidden MathML copy, whose fonts (\mathbb, \mathcal) the package lacks
    "menuSettings": {"zoom": "None", "assistiveMML": False},
    "showMathMenu": False,
    "messageStyle": "none",
}


#: The few words of the equations' tags (\\tag{001 §3.1, corrected}), in each edition: the tags
#: are otherwise names and numbers, so the equations without \\text stay out of the catalogs.
TAG_WORDS = {
    "pt_BR": {
        "as printed": "como impresso",
        "corrected": "corrigida",
        "output": "saída",
        "slip": "deslize",
        "ch.": "cap.",
        "eq.": "eq.",
    }
}


def _translate_tags(latex: str, language: str) -> str:
    import re

    words = TAG_WORDS.get(language, {})
    if not words:
        return latex

    def tag(m):
        text = m.group(1)
        for english, translated in words.items():
            text = re.sub(rf"(?<![A-Za-z]){re.escape(english)}(?![A-Za-z])", translated, text)
        return "\\tag{" + text + "}"

    return re.sub(r"\\tag\{([^}]*)\}", tag, latex)


def setup(app):
    """A display equation goes into the catalogs only when it holds words (\\text{...}): the
    rest is the same in both editions, and a translator need not copy it."""
    from docutils import nodes
    from sphinx.transforms import SphinxTransform

    class KeepWordlessMath(SphinxTransform):
        default_priority = 10  # before Sphinx's Locale transform (20) and the gettext extraction

        def apply(self, **kwargs):
            for node in self.document.findall(nodes.math_block):
                if "\\text" not in node.astext():
                    node["translatable"] = False

    app.add_transform(KeepWordlessMath)

    class TranslateMathWithWords(SphinxTransform):
        """A display equation with words gets its translation here, before Sphinx's Locale
        transform: Locale re-parses a translated math_block as reStructuredText (``::`` and an
        indented block), which MyST reads as a paragraph "::", so the equation would vanish."""

        default_priority = 15  # after KeepWordlessMath (10), before Locale (20)

        def apply(self, **kwargs):
            if self.config.language in (None, "en") or self.app.builder.name == "gettext":
                return
            from sphinx.locale import init as init_locale
            from sphinx.util.i18n import docname_to_domain

            domain = docname_to_domain(self.env.current_document.docname, self.config.gettext_compact)
            dirs = [self.env.srcdir / d for d in self.config.locale_dirs]
            catalog, has_catalog = init_locale(dirs, self.config.language, domain)
            if not has_catalog:
                return
            for node in self.document.findall(nodes.math_block):
                msg = node.rawsource or node.astext()
                msgstr = catalog.gettext(msg) if node.get("translatable", True) else msg
                msgstr = _translate_tags(msgstr, self.config.language)
                if msgstr and msgstr != msg:
                    node.children = [nodes.Text(msgstr)]
                    node.rawsource = msgstr
                node["translated"] = True  # Locale leaves it alone

    app.add_transform(TranslateMathWithWords)
