"""WeasyPrint as formgen drives it: our page parsed by the standard library's XML parser, and
cascaded with a user-agent stylesheet of only the elements that page uses.

Both are for speed, and neither changes what is printed (``tests/test_golden.py`` compares a
page image; when this was written, every page of every sample was compared):

* ``print.html`` is well-formed XML (void elements closed, its stylesheet escaped), so expat
  parses it, about ten times faster than WeasyPrint's HTML5 parser (12 ms less a form);
* WeasyPrint's own user-agent stylesheet styles every HTML element there is, and matching
  its selectors against every element of a form costs about 15 ms. ``_USER_AGENT_CSS`` keeps
  the rules that apply to the elements ``print.html`` writes, with the same values.

``_Page`` sets what ``weasyprint.HTML.__init__`` sets after parsing (WeasyPrint is pinned in
``pyproject.toml``; an upgrade that changes these internals fails the golden page test).

A form's stylesheet may come from a shared workspace (``form.css``), and WeasyPrint's own
fetcher follows any URL in it: ``url(http://…)`` would send requests from the machine,
``url(file:///…)`` would print any file it can read into the PDF. ``_page_class`` gives
every page a fetcher that reads ``data:`` URLs and formgen's own cut fonts, and refuses
everything else (WeasyPrint then leaves the resource out, as for a missing image).
"""

from __future__ import annotations

import functools
import os
import shutil
import xml.etree.ElementTree as ElementTree
from urllib.parse import urlsplit
from urllib.request import url2pathname

# The rules of WeasyPrint's html5_ua.css for the elements print.html writes, values unchanged.
_USER_AGENT_CSS = r"""
head, style, title, meta { display: none }
html, body, article, h1, p { display: block }
body { margin: 8px }
p { margin-top: 1em; margin-bottom: 1em }
h1 { margin-top: .67em; margin-bottom: .67em; font-size: 2em; font-weight: bold; bookmark-level: 1;
     bookmark-label: content(text); hyphens: manual; break-after: avoid; break-inside: avoid }
br::before { content: "\A"; white-space: pre-line }
table { display: table; box-sizing: border-box; text-indent: initial; border-spacing: 2px;
        border-collapse: separate; border-color: gray }
colgroup { display: table-column-group }
col { display: table-column }
thead { display: table-header-group; vertical-align: middle; border-color: inherit }
tbody { display: table-row-group; vertical-align: middle; border-color: inherit }
tr { display: table-row; vertical-align: inherit; border-color: inherit }
td, th { display: table-cell; vertical-align: inherit; padding: 1px; border-color: gray }
th { font-weight: bold }
@page { margin: 75px; @bottom-center { text-align: center; vertical-align: middle } }
"""


def render(html: str, font_config):
    """Lay ``html`` (well-formed XML, as ``print.html`` writes it) out into a WeasyPrint document."""
    document = _page_class()(html).render(font_config=font_config)
    _remove_font_copies_at_exit(font_config)
    return document


_font_copies: set[str] = set()  # the font folders whose removal is arranged (a child inherits its parent's)


def _remove_font_copies_at_exit(font_config) -> None:
    """WeasyPrint copies every ``@font-face`` font (our cut faces: 8 MB) into a temporary folder of
    its font configuration, and removes it only when that object is collected, which a worker
    process never does: multiprocessing ends it with ``os._exit``. Every worker of every build
    left its copies behind. The process that made the folder now removes it when it ends, worker or
    not (multiprocessing runs its finalizers in both); a folder a child inherited stays its parent's."""
    import multiprocessing.util

    folder = getattr(font_config, "_folder", None)  # set at the first @font-face (WeasyPrint 70)
    if folder is None or str(folder) in _font_copies:
        return
    _font_copies.add(str(folder))
    multiprocessing.util.Finalize(None, shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}, exitpriority=0)


@functools.cache
def _page_class():
    import cssselect2
    import weasyprint
    from weasyprint.urls import URLFetcher

    user_agent = weasyprint.CSS(string=_USER_AGENT_CSS)

    class _OwnFilesOnly(URLFetcher):
        """Fetches ``data:`` URLs and the cut fonts, nothing from the network, no other file."""

        def fetch(self, url, headers=None):
            if not (url.startswith("data:") or _is_own_font(url)):
                raise ValueError("formgen 不读取表样外的资源（网址、本机文件）")
            return super().fetch(url, headers)

    class _Page(weasyprint.HTML):
        """A WeasyPrint HTML document made from an element tree we parsed ourselves."""

        def __init__(self, html: str):  # noqa: super().__init__ would parse the text again
            root = ElementTree.fromstring(html)
            self.base_url = None
            self.url_fetcher = _OwnFilesOnly()
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms=False):
            return [user_agent]

    return _Page


def _is_own_font(url: str) -> bool:
    """Whether ``url`` is a ``file:`` URL of a font formgen cut (``writers.fonts``), not through a link."""
    from .fonts import cache_folder

    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = os.path.normpath(url2pathname(parts.path))
    folder = os.path.normpath(cache_folder())
    return os.path.dirname(path) == folder and path.endswith(".otf") and not os.path.islink(path)


def preload() -> None:
    """Import WeasyPrint and make the document class now, before worker processes fork."""
    _page_class()
