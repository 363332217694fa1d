"Committed numbers regenerate: a cheap committed summary is rebuilt from scratch and compared with the file in figures/."
import numpy as np
import pandas as pd
import pytest

from transnas_repro.experiments import reproduce, repo_root, SUMMARY_COLUMNS

pytestmark = pytest.mark.needs_data


def test_baselines_tnb_quick_regenerates_the_committed_summary(tmp_path):
    committed = pd.read_csv(repo_root() / "figures" / "baselines-tnb" / "quick" / "summary.csv")
    fresh = reproduce("baselines-tnb", "quick", jobs=2, out=tmp_path, progress=False)
    fresh = pd.read_csv(tmp_path / "summary.csv")          # compare the files as written (same rounding)
    assert list(fresh.columns) == SUMMARY_COLUMNS
    keys = ["method", "benchmark", "task", "metric"]
    merged = committed.merge(fresh, on=keys, how="outer", suffixes=("_committed", "_fresh"), indicator=True)
    assert (merged._merge == "both").all(), merged[merged._merge != "both"][keys]
    for col in ("mean", "std"):
        a, b = merged[f"{col}_committed"].to_numpy(float), merged[f"{col}_fresh"].to_numpy(float)
        assert np.allclose(a, b, rtol=1e-6, atol=1e-6, equal_nan=True), merged.loc[~np.isclose(a, b, equal_nan=True), keys]
    assert (merged.n_committed == merged.n_fresh).all()
    committed_cmp = pd.read_csv(repo_root() / "figures" / "baselines-tnb" / "quick" / "comparisons.csv")
    fresh_cmp = pd.read_csv(tmp_path / "comparisons.csv")
    pd.testing.assert_frame_equal(committed_cmp, fresh_cmp, check_exact=False, rtol=1e-6)
