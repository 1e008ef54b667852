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

    class TranslateDisplayMath(SphinxTransform):
        """Put a display equation's translation in place, before Sphinx's Locale transform.

        Locale translates a literal node (a display equation is one) by parsing "::" and the
        indented translation, reStructuredText's literal-block notation; MyST reads that as a
        paragraph "::", and the page shows "::" in place of the equation. The translation of an
        equation is its new source, so it is set here, and Locale is told to leave the node."""

        default_priority = 15  # after KeepWordlessMath (10), before Locale (20)

        def apply(self, **kwargs):
            if not self.config.language or self.config.language == "en":
                return
            from sphinx.locale import init as init_locale
            from sphinx.util.i18n import docname_to_domain
            from sphinx.util.nodes import extract_messages

            dirs = [self.env.srcdir / d for d in self.config.locale_dirs]
            domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
            catalog, has_catalog = init_locale(dirs, self.config.language, domain)
            if not has_catalog:
                return
            for node, msg in list(extract_messages(self.document)):
                if not isinstance(node, nodes.math_block):
                    continue
                msgstr = catalog.gettext(msg)
                if msgstr and msgstr != msg:
                    node.children = [nodes.Text(msgstr)]
                    node.rawsource = msgstr
                    node["translatable"] = False
                    node["translated"] = True

    app.add_transform(KeepWordlessMath)
    app.add_transform(TranslateDisplayMath)
