"""Build the documentation site offline: mkdocs-material + mkdocs-jupyter + mkdocstrings.

Quarto (what nbdev-docs uses) cannot be installed offline, so this script:
1. copies nbs/ into _site_src/nbs/ and executes each copy in a fresh kernel exactly as nbdev-test
   does (cells flagged slow/gpu/notest are skipped: the quick profile), keeping the outputs;
2. writes one API page per exported module (`::: transnas_repro.<module>`, mkdocstrings);
3. runs `mkdocs build` into site/.
`--no-execute` skips step 1's execution (pages show the committed, stripped notebooks).
"""
import argparse, os, re, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "_site_src"

def public_modules():
    return sorted(p.stem for p in (ROOT / "transnas_repro").glob("*.py") if not p.stem.startswith("_"))

def execute(nb: Path, flags):
    from nbdev.test import test_nb
    import json
    ok, secs = test_nb(nb, skip_flags=flags, save=True, basepath=ROOT)
    d = json.loads(nb.read_text())          # execnb stores timings as numbers, which nbformat rejects
    for c in d["cells"]: c.get("metadata", {}).pop("execution", None)
    nb.write_text(json.dumps(d, indent=1))
    return ok, secs

def write_nav_config() -> Path:
    "mkdocs.yml plus an explicit reading-order nav (home, tutorials, library, papers, results, API), as a generated config."
    rel = lambda p: p.relative_to(SRC).as_posix()
    figures = []
    for summary in sorted((ROOT / "figures").glob("*/summary.md")) + sorted((ROOT / "figures").glob("*/*/summary.md")):
        exp = summary.relative_to(ROOT / "figures").parts
        figures.append({" / ".join(exp[:-1]): "figures/" + "/".join(exp)})
    nav = [{"Home": "index.ipynb"},
           {"Tutorials": [rel(p) for p in sorted((SRC / "nbs" / "tutorials").glob("*.ipynb"))]},
           {"Library": [rel(p) for p in sorted((SRC / "nbs").glob("*.ipynb"))]},
           {"Papers": [rel(p) for p in sorted((SRC / "nbs" / "repro").glob("*.ipynb"))]},
           {"Results": sorted(figures, key=lambda d: list(d))},
           {"API": [rel(p) for p in sorted((SRC / "api").glob("*.md"))]}]
    import json
    config = ROOT / ".mkdocs-nav.yml"   # generated, git-ignored; INHERIT keeps mkdocs.yml the one source of settings
    config.write_text("INHERIT: mkdocs.yml\nnav: " + json.dumps(nav) + "\n")
    return config

def site_links(nb: Path) -> None:
    "Links that outputs print to a figures/<exp>/summary.md page point at the page the site serves (figures/<exp>/summary/)."
    # markdown pages are rewritten by mkdocs; notebook outputs are HTML that mkdocs-jupyter passes through untouched
    nb.write_text(re.sub(r"(figures/[\w./-]*?)summary\.md(?=[)\"'#])", r"\1summary/", nb.read_text()))

def build(run_notebooks: bool = True, strict: bool = False, only: list[str] | None = None):
    if SRC.exists(): shutil.rmtree(SRC)
    shutil.copytree(ROOT / "nbs", SRC / "nbs", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_*"))
    (SRC / "figures").symlink_to(ROOT / "figures", target_is_directory=True)
    index = SRC / "nbs" / "index.ipynb"
    shutil.move(index, SRC / "index.ipynb")
    # the index moves from nbs/ to the site root: its links to ../figures/ now point to figures/
    (SRC / "index.ipynb").write_text((SRC / "index.ipynb").read_text().replace("](../", "]("))
    # every other notebook becomes a folder (nbs/30_mwas.ipynb -> nbs/30_mwas/index.html): its relative links go one level up more
    for nb in (SRC / "nbs").rglob("*.ipynb"): nb.write_text(nb.read_text().replace("](../", "](../../"))
    failed = []
    if run_notebooks:
        from nbdev.config import get_config
        flags = get_config().tst_flags.split()
        nbs = [SRC / "index.ipynb", *sorted((SRC / "nbs").rglob("*.ipynb"))]
        if only: nbs = [nb for nb in nbs if nb.name in only]
        for nb in nbs:
            cwd = os.getcwd(); os.chdir(nb.parent)
            try: ok, secs = execute(nb, flags)
            finally: os.chdir(cwd)
            print(f"{'ok  ' if ok else 'FAIL'} {nb.relative_to(SRC)} ({secs:.0f} s)")
            if not ok: failed.append(nb.name)
    for nb in [SRC / "index.ipynb", *(SRC / "nbs").rglob("*.ipynb")]: site_links(nb)   # markdown cells and outputs alike
    (SRC / "extra.css").write_text(".md-grid { max-width: 1500px; }\n"      # wider pages: notebook code and tables fit
                                   "pre, .md-typeset pre > code, .highlight pre, .jp-OutputArea pre "
                                   "{ overflow-x: auto; white-space: pre; max-width: 100%; }\n")   # wide code scrolls, never clipped
    api = SRC / "api"; api.mkdir()
    for m in public_modules():
        (api / f"{m}.md").write_text(f"# `transnas_repro.{m}`\n\n::: transnas_repro.{m}\n    options:\n      show_root_heading: false\n      members_order: source\n")
    config = write_nav_config()
    cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)] + (["--strict"] if strict else [])
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    if failed: raise SystemExit(f"notebooks that failed to execute: {failed}")
    print(f"site built in {ROOT / 'site'}")

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-execute", action="store_true", help="do not execute the notebooks")
    ap.add_argument("--only", nargs="+", help="execute only these notebooks (file names, e.g. index.ipynb); the rest stay unexecuted")
    a = ap.parse_args()
    build(run_notebooks=not a.no_execute, only=a.only)
