"The trial runner: a resumed run keeps the stored trials untouched and equals an uninterrupted one; parts replace older rows."
import pandas as pd
import pytest

from transnas_repro.runner import Trial, RowStore, run_trials


def tiny(profile="quick"):
    seeds = range(2 if profile == "quick" else 4)
    return [Trial("demo-tiny", m, "tnb101_micro", "class_object", s, 20) for m in ["random", "rea"] for s in seeds]


@pytest.mark.needs_data
def test_resume_skips_stored_trials_and_equals_a_fresh_run(tmp_path):
    part = run_trials(tiny("paper")[1::3], tmp_path / "demo", profile="paper", progress=False)     # not a prefix of the list
    rows = run_trials(tiny("paper"), tmp_path / "demo", profile="paper", progress=False)
    kept = rows[rows.trial_id.isin(set(part.trial_id))].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, part)                    # not re-run: even wall_time is the stored one
    assert list(rows.trial_id.drop_duplicates()) == [t.trial_id for t in tiny("paper")]
    fresh = run_trials(tiny("paper"), tmp_path / "fresh", profile="paper", progress=False)
    pd.testing.assert_frame_equal(rows.drop(columns="wall_time"), fresh.drop(columns="wall_time"))


def test_a_part_replaces_the_older_rows_of_its_trial(tmp_path):
    t = Trial("demo", "rea", "tnb101_micro", "class_object", seed=0, budget=20)
    store = RowStore(tmp_path / "s")
    store.write_rows("quick", t, [dict(query=1, value=0.5), dict(query=2, value=0.7)]); store.merge()
    store.write_rows("quick", t, [dict(query=1, value=0.9)])
    assert store.rows_of([t], "quick").value.tolist() == [0.9]
    store.merge()
    assert store.rows_of([t], "quick").value.tolist() == [0.9]


def test_trial_id_hashes_config_values():
    a = Trial("demo", "rea", "tnb101_micro", "class_object", 0, 20, {"population_size": 20})
    assert a.trial_id != Trial("demo", "rea", "tnb101_micro", "class_object", 0, 20, {"population_size": 30}).trial_id


def test_a_damaged_rows_file_is_refused_with_the_fix(tmp_path):
    t = Trial("demo", "rea", "tnb101_micro", "class_object", seed=0, budget=20)
    store = RowStore(tmp_path/"s")
    store.write_rows("quick", t, [dict(query=1, value=0.5)]); store.merge()
    data = store.merged.read_bytes(); store.merged.write_bytes(data[:len(data)//2])     # a copy cut short
    for call in (lambda: store.load(), lambda: store.done("quick")):
        with pytest.raises(ValueError, match=r"rows\.parquet cannot be read .*Fix: restore it"): call()
    assert store.merged.exists()                                                         # results are never deleted for you
