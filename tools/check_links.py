"""Every relative link and image of a built site resolves to a file: `python tools/check_links.py [site]`."""
import re, sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__(); self.refs = []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("href", "src") and v: self.refs.append(v)


def _resolves(page: Path, ref: str, site: Path) -> bool:
    "Whether a relative `ref` on `page` names a file of the site (a folder: its index.html)."
    path = unquote(urlsplit(ref).path)
    if not path: return True                                   # '#anchor' on the same page
    target = (site / path.lstrip("/") if path.startswith("/") else page.parent / path).resolve()   # '/x': from the site root
    return target.is_file() or (target / "index.html").is_file()


def broken_links(site) -> list[tuple[str, str]]:
    "(page, reference) for every relative href/src of the site's HTML pages that names no file."
    site = Path(site).resolve(); out = []
    for page in sorted(site.rglob("*.html")):
        p = _Refs(); p.feed(page.read_text(errors="ignore"))
        for ref in p.refs:
            if re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref, re.I): continue     # http:, mailto:, data:, //host
            if not _resolves(page, ref, site): out.append((str(page.relative_to(site)), ref))
    return out


if __name__ == "__main__":
    bad = broken_links(sys.argv[1] if len(sys.argv) > 1 else "site")
    for page, ref in bad: print(f"{page}: {ref}")
    print(f"{len(bad)} broken relative links"); sys.exit(1 if bad else 0)
