"""Sphinx configuration of the course website (``make site``, publish/site.py).

publish/site.py stages the sources next to this file's copy: index.md (the README's course
overview), the student notebooks with outputs from a fast-mode run of their solved copies,
and MathJax under _mathjax/. Nothing is fetched when the site is built or viewed.
"""
project = "dlcourse"
author = "the course authors"
extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The notebooks arrive with their outputs (publish/site.py executes and caches them).
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # widget views are dropped when staging: their JavaScript lives on a CDN
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_update_mathjax = False  # we configure MathJax 2 below; myst would write a MathJax 3+ config

# MathJax 2.7 served by the site itself (copied from jupyter-server-mathjax into _mathjax/).
html_static_path = ["_mathjax"]
mathjax_path = "MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "HTML-CSS": {"availableFonts": [], "webFont": "STIX-Web", "imageFont": None},
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                "processEscapes": True, "processEnvironments": True},
    "menuSettings": {"zoom": "None"},
    "showMathMenu": False,
}

html_theme = "sphinx_book_theme"
html_title = "Deep learning, from the perceptron to ResNets"
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "use_download_button": False,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
