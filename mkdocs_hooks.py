"""mkdocs hooks for the documentation site (mkdocs.yml: ``hooks``).

The docstrings are written for Sphinx and mark names with roles (``:meth:`prepare```); the
Python handler of mkdocstrings renders those as text before the code span. This drops the role
and a leading ``~`` (Sphinx's "show the last part only"), so a reader sees ``prepare``.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:meth|class|attr|func|mod|data|exc|obj):<code>(~?)([^<]*)</code>")


def _shown(match: re.Match[str]) -> str:
    name = match[2].rsplit(".", 1)[-1] if match[1] else match[2]
    return f"<code>{name}</code>"


def on_page_content(html: str, **_: Any) -> str:
    """Drop Sphinx roles from the rendered page."""
    return _ROLE.sub(_shown, html)
