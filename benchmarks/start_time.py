"""Start-up time of the command line: `transnas-repro search --method random` and `bench info`, wall seconds.

Writes benchmarks/start_time.csv (median and min of 5 runs, the load average, whether torch was imported).
Before the lazy registries (commit c0d3510) the same commands took 9.0 s and 2.0 s on this 2-core machine (with one
core busy): every search imported every searcher module, and with it torch. The test that guards it is
tests/test_fast_start.py (no heavy module is imported), which does not depend on the machine's load.
"""
import os, subprocess, sys, time
from pathlib import Path
import pandas as pd

os.environ.setdefault("TRANSNAS_REPRO_DATA", str(Path(__file__).resolve().parents[2]/"shared"/"data"))
OUT = Path(__file__).with_suffix(".csv")
COMMANDS = {"search --method random --budget 5": ["search", "--method", "random", "--budget", "5"],
            "bench info tnb101_micro": ["bench", "info", "tnb101_micro"]}
RUN = "import sys; from transnas_repro.cli import app; sys.argv[0] = 'transnas-repro'\ntry: app({args!r})\nexcept SystemExit: pass\nprint('torch' in sys.modules, file=sys.stderr)"


def main(repeats: int = 5):
    rows = []
    for name, args in COMMANDS.items():
        walls, torch = [], None
        for _ in range(repeats):
            t = time.perf_counter()
            p = subprocess.run([sys.executable, "-c", RUN.format(args=args)], capture_output=True, text=True, check=True)
            walls.append(time.perf_counter() - t); torch = p.stderr.strip().splitlines()[-1] == "True"
        rows.append(dict(command=f"transnas-repro {name}", median_s=round(sorted(walls)[len(walls)//2], 3), min_s=round(min(walls), 3),
                         repeats=repeats, imports_torch=torch, load_avg=round(os.getloadavg()[0], 2), cpus=os.cpu_count()))
    df = pd.DataFrame(rows); df.to_csv(OUT, index=False); print(df.to_string(index=False))


if __name__ == "__main__":
    main()
