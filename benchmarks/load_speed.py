"""Cold vs warm load time of every benchmark (target: warm load under 0.3 s).

Cold: an empty cache, so the verified upstream files are parsed and the parquet table written.
Warm: a new process reading the cached parquet. Each is measured in a fresh interpreter (imports
excluded) and repeated; the median is written to benchmarks/load_speed.csv.
"""
import json, os, subprocess, sys, tempfile, statistics
from pathlib import Path
import pandas as pd

HERE = Path(__file__).resolve().parent
SNIPPET = ("import time, json; from transnas_repro.benchmarks import load_benchmark; t=time.perf_counter(); "
           "b=load_benchmark({name!r}); print(json.dumps(dict(t=time.perf_counter()-t, n=len(b))))")
NAMES = ["tnb101_micro", "tnb101_macro", "nb201", "nb101_sample", "nb301_sample"]

def timed(name, cache):
    out = subprocess.run([sys.executable, "-c", SNIPPET.format(name=name)], capture_output=True, text=True, check=True,
                         env={**os.environ, "TRANSNAS_REPRO_CACHE": cache}).stdout
    return json.loads(out.strip().splitlines()[-1])

def main(repeats: int = 3):
    rows = []
    for name in NAMES:
        cold, warm = [], []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as cache:
                r = timed(name, cache); cold.append(r["t"])
                warm.append(timed(name, cache)["t"])
        rows.append(dict(benchmark=name, archs=r["n"], cold_s=round(statistics.median(cold), 4), warm_s=round(statistics.median(warm), 4),
                         speedup=round(statistics.median(cold) / statistics.median(warm), 1), target_warm_s=0.3,
                         meets_target=statistics.median(warm) < 0.3))
    df = pd.DataFrame(rows)
    df.to_csv(HERE / "load_speed.csv", index=False)
    print(df.to_string(index=False))

if __name__ == "__main__": main()
