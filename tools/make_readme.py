"""Generate README.md from nbs/index.ipynb without Quarto.

`nbdev-readme` renders through Quarto, which cannot be installed offline here; this script executes
the index notebook in a fresh kernel (execnb, as nbdev-test does) and writes its markdown cells,
code cells and their outputs (markdown as is, text in fenced blocks) to README.md. Cells marked
`#| hide` are executed but not shown; `#| echo: false` hides the code and keeps the output.
"""
import os, sys
from pathlib import Path
from fastcore.nbio import read_nb
from execnb.shell import CaptureShell

ROOT = Path(__file__).resolve().parents[1]

def _directives(src):
    return {l[3:].strip() for l in src.splitlines() if l.startswith("#|")}

def _code(src):
    return "\n".join(l for l in src.splitlines() if not l.startswith("#|")).strip()

def _root_links(md):
    "Links and images written relative to nbs/ ('../figures/x.png') made relative to the repository root."
    return md.replace("](../", "](")

def render(nb_path=ROOT / "nbs" / "index.ipynb"):
    nb = read_nb(nb_path)
    cwd = os.getcwd(); os.chdir(nb_path.parent)
    try:
        shell = CaptureShell()
        shell.run_all(nb, exc_stop=True)
    finally: os.chdir(cwd)
    parts = ["<!-- generated from nbs/index.ipynb by tools/make_readme.py (make readme): edit the notebook, not this file -->"]
    for c in nb.cells:
        if c.cell_type == "markdown": parts.append(_root_links(c.source.strip())); continue
        d = _directives(c.source)
        if "hide" in d: continue
        code = _code(c.source)
        if code and "echo: false" not in d: parts.append(f"```python\n{code}\n```")
        for o in c.get("outputs", []):
            data = o.get("data", {})
            if "text/markdown" in data: parts.append(_root_links("".join(data["text/markdown"]).strip()))
            elif o.get("output_type") == "stream": parts.append("```\n" + "".join(o.get("text", "")).rstrip() + "\n```")
            elif "text/plain" in data: parts.append("```\n" + "".join(data["text/plain"]).rstrip() + "\n```")
    return "\n\n".join(p for p in parts if p) + "\n"

if __name__ == "__main__":
    out = ROOT / "README.md"
    out.write_text(render())
    print(f"wrote {out.relative_to(ROOT)}")
