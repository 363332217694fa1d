"The docs site builds offline, every notebook has a page, and the API pages list the public functions."
import ast, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def public_names(module: Path):
    "Functions and classes in the module's __all__."
    tree = ast.parse(module.read_text())
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return [n for n in (ast.literal_eval(e) for e in node.value.elts) if n in defined]
    return []

@pytest.fixture(scope="module")
def site():
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_docs.py"), "--only", "index.ipynb"], check=True, cwd=ROOT,   # the home page executed: its tables link the results pages
                   capture_output=True, timeout=600)
    return ROOT / "site"

def test_every_notebook_has_a_page(site):
    for nb in (ROOT / "nbs").rglob("*.ipynb"):
        if nb.name == "index.ipynb" and nb.parent.name == "nbs": assert (site / "index.html").exists(); continue
        rel = nb.relative_to(ROOT / "nbs").with_suffix("")
        assert (site / "nbs" / rel / "index.html").exists(), f"no page for {nb}"

def test_api_pages_list_public_functions(site):
    for mod in (ROOT / "transnas_repro").glob("*.py"):
        if mod.name.startswith("_"): continue
        page = (site / "api" / mod.stem / "index.html").read_text()
        missing = [n for n in public_names(mod) if n not in page]
        assert not missing, f"API page of {mod.stem} misses {missing}"

sys.path.insert(0, str(ROOT / "tools"))
from check_links import broken_links  # noqa: E402

def test_link_check_finds_broken_relative_links(tmp_path):
    (tmp_path / "a").mkdir(); (tmp_path / "figures" / "x").mkdir(parents=True)
    (tmp_path / "figures" / "x" / "plot.png").write_bytes(b"png")
    (tmp_path / "figures" / "x" / "summary").mkdir(); (tmp_path / "figures" / "x" / "summary" / "index.html").write_text("")
    (tmp_path / "a" / "index.html").write_text('<a href="../figures/x/summary/">ok</a><img src="../figures/x/plot.png">'
                                               '<img src="figures/x/plot.png"><a href="https://example.org/y">ext</a><a href="#top">anchor</a>'
                                               '<a href="/figures/x/summary.md">root</a>')
    assert broken_links(tmp_path) == [("a/index.html", "figures/x/plot.png"), ("a/index.html", "/figures/x/summary.md")]

def test_site_has_no_broken_relative_links(site):
    assert broken_links(site) == []
