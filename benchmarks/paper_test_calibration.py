"""How often `paper_test` calls a difference "significant" when there is none, on skewed per-seed values.

Per-seed values are drawn from an exponential distribution whose mean equals the paper's value (so the null of "our mean
equals the paper's" is true, but the median is lower: the one-sample Wilcoxon test of the median is biased here).
Reports the share of repetitions with p < 0.05 and with `significant` (p < 0.05 and the bootstrap interval of our mean
excluding the paper's value), for n = 10 and 30 seeds. Writes benchmarks/paper_test_calibration.csv (about a minute).

    python benchmarks/paper_test_calibration.py
"""
from pathlib import Path
import numpy as np
import pandas as pd
from transnas_repro.stats import paper_test

ROOT = Path(__file__).resolve().parents[1]


def main(reps: int = 400, seed: int = 2026) -> pd.DataFrame:
    g, rows = np.random.default_rng(seed), []
    for n in (10, 30):
        p = s = 0
        for r in range(reps):
            t = paper_test(g.exponential(1.0, n), 1.0, n_boot=2000, seed=r)
            p += t["p_value"] < 0.05; s += t["significant"]
        rows.append(dict(distribution="exponential(mean = paper value)", n_seeds=n, repetitions=reps,
                         share_p_below_0_05=p/reps, share_significant=s/reps, nominal=0.05))
    df = pd.DataFrame(rows)
    df.to_csv(ROOT/"benchmarks/paper_test_calibration.csv", index=False)
    print(df.to_string(index=False))
    return df


if __name__ == "__main__":
    main()
