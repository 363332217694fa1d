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
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_docs.py"), "--no-execute"], check=True, cwd=ROOT,
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
