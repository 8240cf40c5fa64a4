"""Sphinx configuration for the cors-wsgi documentation.

Builds offline: no intersphinx, no extension that fetches anything.  The theme is Furo
(made for code-heavy documentation; its assets ship in the package).  The version comes from
the installed distribution, so build from an installed package: ``python -m tox -e docs``
(or ``pip install -e ".[docs]"`` then ``sphinx-build -W --keep-going -b html docs docs/_build/html``).
"""

import doctest
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as distribution_version

project = "cors-wsgi"
author = "The cors-wsgi authors"
project_copyright = "The cors-wsgi authors"

try:
    release = distribution_version("cors-wsgi")
except PackageNotFoundError as error:
    raise RuntimeError(
        "cors-wsgi is not installed: build the docs with 'python -m tox -e docs', "
        "or run 'python -m pip install -e \".[docs]\"' first"
    ) from error
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build", "snippets"]
root_doc = "index"
language = "en"

# -- autodoc: the public API, in the order the source gives it ---------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_preserve_defaults = True
autoclass_content = "class"
# Show the library's type aliases by name instead of their expansion.
autodoc_type_aliases = {
    "WSGIApp": "cors_wsgi.middleware.WSGIApp",
    "PathKey": "cors_wsgi.policy.PathKey",
}

# -- doctest: the examples in the pages are run by "sphinx-build -b doctest" -------------
# Sphinx ignores exception messages by default; here the messages are the point.
doctest_default_flags = doctest.ELLIPSIS | doctest.DONT_ACCEPT_TRUE_FOR_1

# -- HTML ---------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"cors-wsgi {release}"
html_static_path = ["_static"]
html_css_files = ["wide-code.css"]
html_show_sourcelink = False
