"""Fault suite: every damaged cache, torn append, concurrent writer, killed build, read-only folder and unreachable
cluster ends in the right value or in one message with the fix; never in a wrong number."""
import json, os, signal, socket, subprocess, sys, textwrap, time, warnings
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from transnas_repro import data, experiments as ex
from transnas_repro.data import RecordStore, cached_file, cache_problem, meta_path, verify_caches, CacheError, ChecksumError
from transnas_repro.experiments import Trial, RunLocked, ClusterUnreachable, run_trials, run_lock

SHARED = os.environ.get("TRANSNAS_REPRO_DATA")
needs_data = pytest.mark.needs_data


@pytest.fixture
def cache(tmp_path, monkeypatch):
    "An empty package cache for this test only."
    monkeypatch.setenv("TRANSNAS_REPRO_CACHE", str(tmp_path/"cache"))
    data._verified.clear(); data._file_sums.clear()
    return tmp_path/"cache"


def _table(name="tnb101_micro"):
    from transnas_repro.benchmarks import benchmark_table
    return benchmark_table(name)


def _micro_cache(cache) -> Path:
    return next((cache/"benchmarks").glob("tnb101_micro-*.parquet"))


# ---------------------------------------------------------------- benchmark tables
@needs_data
def test_tampered_benchmark_cache_is_rebuilt_not_used(cache):
    good = _table()
    path = _micro_cache(cache)
    bad = good.copy(); bad.loc[0, "valid/class_object"] = 99.0            # the fault of the issue: one value set to 99
    bad.to_parquet(path, index=False)
    with pytest.warns(UserWarning, match="checksum does not match its record.*rebuilding"):
        back = _table()
    assert back["valid/class_object"].max() < 99 and back.equals(good)
    assert cache_problem(path) is None                                      # and the rebuilt cache is sound again


@needs_data
@pytest.mark.parametrize("damage", ["truncate", "empty", "delete-record", "garble-record"])
def test_truncated_or_unrecorded_benchmark_cache_is_rebuilt(cache, damage):
    good = _table()
    path = _micro_cache(cache)
    if damage == "truncate": path.write_bytes(path.read_bytes()[:1000])
    elif damage == "empty": path.write_bytes(b"")
    elif damage == "delete-record": meta_path(path).unlink()
    else: meta_path(path).write_text("{not json")
    with pytest.warns(UserWarning, match="rebuilding"):
        assert _table().equals(good)


@needs_data
def test_stale_cache_from_another_data_version_is_rebuilt(cache):
    good = _table()
    path = _micro_cache(cache)
    rec = json.loads(meta_path(path).read_text())
    rec["inputs"]["tnb101/transbench101_class_object.csv"] = "0"*64           # built from another version of a file
    meta_path(path).write_text(json.dumps(rec))
    assert cache_problem(path).startswith("built from another version of tnb101/transbench101_class_object.csv")
    with pytest.warns(UserWarning, match="another version"): assert _table().equals(good)


@needs_data
def test_corrupt_data_file_with_a_warm_cache_is_refused(cache, tmp_path, monkeypatch):
    folder = tmp_path/"data"
    for name in data.FILES:
        (folder/name).parent.mkdir(parents=True, exist_ok=True)
        (folder/name).symlink_to(Path(SHARED)/name)
    monkeypatch.setenv("TRANSNAS_REPRO_DATA", str(folder))
    _table()                                                                # warm cache
    victim = folder/"tnb101/transbench101_jigsaw.csv"
    victim.unlink(); text = (Path(SHARED)/"tnb101/transbench101_jigsaw.csv").read_text()
    victim.write_text(text.replace(",", ";", 1))                            # one byte changed
    with pytest.raises(ChecksumError, match="transbench101_jigsaw.csv.*Fix:"): _table()


@needs_data
def test_verify_caches_finds_and_repairs(cache):
    _table()
    path = _micro_cache(cache)
    raw = path.read_bytes(); path.write_bytes(raw[:-10] + b"0"*10)
    rep = verify_caches()
    assert rep.set_index("cache").loc[str(path.relative_to(cache)), "ok"] == False
    rep = verify_caches(repair=True)
    assert rep[~rep.ok].action.tolist() == ["rebuilt"]
    assert verify_caches().ok.all() and cache_problem(path) is None


# ---------------------------------------------------------------- append-style stores
@needs_data
def test_torn_proxy_store_never_reads_a_cut_number(cache):
    from transnas_repro import proxies as P
    from transnas_repro.benchmarks import load_benchmark
    archs = load_benchmark("nb201").archs[:3]
    store = P.cache_file("nb201", ["params"])
    first = P.score_many("nb201", archs, ["params"], progress=False, cache=store)
    raw = store.read_bytes()
    store.write_bytes(raw[:raw.rfind(b'"params": ') + 13])                   # the last line cut inside its number
    with pytest.warns(UserWarning, match="dropped 1 torn"):
        again = P.score_many("nb201", archs, ["params"], progress=False, cache=store)
    assert again.params.tolist() == first.params.tolist()
    P.score_many("nb201", archs, ["params"], progress=False, cache=store)     # later runs: no error, no warning
    assert RecordStore(store, kind="proxy scores", params=dict(bench="nb201", proxies=["params"], seed=0, task=None)).problems() is None


def test_legacy_csv_cache_is_started_again(tmp_path):
    path = tmp_path/"old.csv"; path.write_text("arch,params\na,56.0\n")
    store = RecordStore(path, kind="proxy scores")
    with pytest.warns(UserWarning, match="no record of what it was built from"): assert store.read() == {}
    store.append([dict(arch="a", params=56.34)]); assert store.read() == {"a": dict(arch="a", params=56.34)}


_WRITER = textwrap.dedent("""
    import sys
    from transnas_repro.data import RecordStore
    s = RecordStore(sys.argv[1], kind="demo")
    for i in range(int(sys.argv[3])): s.append([dict(arch=f"{sys.argv[2]}{i}", v=i)])
""")

def test_two_processes_fill_one_store(tmp_path):
    path = tmp_path/"shared.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), tag, "150"]) for tag in "ab"]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    got = RecordStore(path, kind="demo").read()
    assert len(got) == 300 and got["a149"] == dict(arch="a149", v=149) and got["b0"] == dict(arch="b0", v=0)
    assert RecordStore(path, kind="demo").problems() is None


@settings(max_examples=60)
@given(cut=st.integers(min_value=0, max_value=10_000), flip=st.integers(min_value=0, max_value=10_000), mode=st.sampled_from(["cut", "flip"]))
def test_damaged_store_returns_only_what_was_written(tmp_path_factory, cut, flip, mode):
    path = tmp_path_factory.mktemp("store")/"s.jsonl"
    written = {f"x{i}": dict(arch=f"x{i}", v=round(i*1.37, 2)) for i in range(12)}
    RecordStore(path, kind="demo").append(list(written.values()))
    raw = bytearray(path.read_bytes())
    if mode == "cut": raw = raw[:cut % len(raw)]
    else:
        k = flip % len(raw)
        raw[k] = (raw[k] + 1) % 256 if raw[k] != ord("\n") - 1 else raw[k] + 2  # change one byte (never into a newline)
    path.write_bytes(bytes(raw))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = RecordStore(path, kind="demo").read()
    assert all(written.get(k) == r for k, r in got.items())                  # a subset of the truth, never a wrong value


# ---------------------------------------------------------------- killed build, read-only folder
_BUILDER = textwrap.dedent("""
    import sys, time
    from transnas_repro.data import cached_file
    def save(o, f): f.write(b"[1, 2,"); f.flush(); print("writing", flush=True); time.sleep(60); f.write(b" 3]")
    cached_file(sys.argv[1], lambda: [1, 2, 3], save, None, kind="demo")
""")

def test_kill_during_a_cache_build(tmp_path):
    path = tmp_path/"x.json"
    p = subprocess.Popen([sys.executable, "-c", _BUILDER, str(path)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "writing"
    p.send_signal(signal.SIGKILL); p.wait()
    assert not path.exists()                                                # the half-written file never took the name
    rep = verify_caches(root=tmp_path)
    assert rep.kind.tolist() == ["temporary"] and not rep.ok.any()
    got = cached_file(path, lambda: [1, 2, 3], lambda o, f: f.write(json.dumps(o).encode()),
                      lambda q: json.loads(q.read_text()), kind="demo")     # the lock died with its holder
    assert got == [1, 2, 3]
    verify_caches(repair=True, root=tmp_path)
    assert verify_caches(root=tmp_path).ok.all() and not list(tmp_path.glob("*.tmp"))


def test_read_only_cache_folder_gives_the_fix(tmp_path, monkeypatch):
    real_open = open
    def deny(file, mode="r", *a, **k):
        if "w" in mode or "a" in mode or "+" in mode: raise PermissionError(13, "Permission denied")
        return real_open(file, mode, *a, **k)
    monkeypatch.setattr(data, "open", deny, raising=False)
    with pytest.raises(CacheError, match="Cannot write .*Fix: make .* writable, or set TRANSNAS_REPRO_CACHE"):
        data.atomic_write(tmp_path/"x", lambda f: f.write(b"1"))
    from transnas_repro import core
    monkeypatch.setenv("TRANSNAS_REPRO_CACHE", str(tmp_path/"ro"))
    monkeypatch.setattr(Path, "mkdir", lambda *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    with pytest.raises(PermissionError, match="TRANSNAS_REPRO_CACHE"): core.cache_dir("benchmarks")


# ---------------------------------------------------------------- runs that cannot collide
def _trials():
    return [Trial("t-faults", "random", "tnb101_micro", "class_object", s, 8) for s in range(3)]

_HOLDER = textwrap.dedent("""
    import sys, time
    from transnas_repro.experiments import run_lock
    with run_lock(sys.argv[1]): print("held", flush=True); time.sleep(float(sys.argv[2]))
""")

@needs_data
def test_second_run_on_a_locked_folder_stops_or_waits(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path), "4"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(RunLocked, match=f"pid {holder.pid} on .*--wait.*--force"):
        run_trials(_trials(), tmp_path, progress=False)
    t0 = time.time()
    rows = run_trials(_trials(), tmp_path, progress=False, wait=True)         # queues behind it, then runs
    assert time.time() - t0 > 1 and rows.trial_id.nunique() == 3
    holder.wait()
    again = run_trials(_trials(), tmp_path, progress=False)
    assert again.equals(rows)


def test_temporary_names_are_unique_per_process(tmp_path):
    names = set()
    real = os.replace
    def spy(src, dst): names.add(Path(src).name); return real(src, dst)
    import unittest.mock as um
    with um.patch.object(data.os, "replace", spy):
        for _ in range(3): data.atomic_write(tmp_path/"rows.parquet", lambda f: f.write(b"x"))
    assert len(names) == 3 and all(f".{os.getpid()}-" in n for n in names)


# ---------------------------------------------------------------- Ray
def _free_port() -> int:
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

def test_unreachable_ray_address_fails_fast(tmp_path):
    addr = f"127.0.0.1:{_free_port()}"
    t0 = time.time()
    with pytest.raises(ClusterUnreachable, match=f"No Ray cluster answers at {addr}.*ray start --head"):
        run_trials(_trials(), tmp_path, backend="ray", address=addr, progress=False, connect_timeout=2)
    assert time.time() - t0 < 10
    with pytest.raises(ValueError, match="backend='ray'"): run_trials(_trials(), tmp_path, address=addr, progress=False)
    with pytest.raises(ValueError, match="not host:port"): ex.check_ray_address("nonsense")


@pytest.mark.slow
@needs_data
def test_existing_local_ray_cluster(tmp_path):
    pytest.importorskip("ray")
    port = _free_port(); ray_bin = Path(sys.executable).parent/"ray"
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    subprocess.run([str(ray_bin), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "2",
                    "--include-dashboard", "false", "--disable-usage-stats"], check=True, env=env, timeout=180, capture_output=True)
    try:
        rows = run_trials(_trials(), tmp_path/"ray", backend="ray", address=f"127.0.0.1:{port}", jobs=2, progress=False)
        local = run_trials(_trials(), tmp_path/"local", progress=False)
        same = ["trial_id", "query", "arch", "value", "best_so_far"]               # what was searched, not where or how fast
        assert len(rows) == 24 and rows[same].equals(local[same])
    finally:
        subprocess.run([str(ray_bin), "stop", "--force"], env=env, timeout=120, capture_output=True)



def test_repeated_trial_errors_are_reported_once_with_a_count(tmp_path, monkeypatch):
    (tmp_path/"failing_trials_mod.py").write_text(
        "def always_fails(trial):\n    raise FileNotFoundError('benchmark file x.csv is missing. Fix: set TRANSNAS_REPRO_DATA')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    trials = [Trial("t-fail", "random", "tnb101_micro", "class_object", s, 5, fn="failing_trials_mod:always_fails") for s in range(6)]
    with pytest.raises(ex.TrialsFailed) as e: run_trials(trials, tmp_path/"out", progress=False)
    msg = str(e.value)
    assert msg.count("x.csv is missing") == 1 and "6 x FileNotFoundError" in msg and "(1 distinct error)" in msg, msg
    assert len(list((tmp_path/"out"/"errors").glob("*.json"))) == 6          # every trial's traceback is still kept


def test_repair_keeps_the_sound_lines_of_a_torn_record_store(tmp_path):
    "One altered line in a store of scores: repair drops that line and keeps the rest (hours of scores are not thrown away)."
    path = tmp_path/"gennas"/"s.jsonl"; path.parent.mkdir()
    RecordStore(path, kind="demo", params=dict(a=1)).append([dict(arch=f"a{i}", score=float(i)) for i in range(3)])
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"1.0", b"7.0")                                  # a record whose checksum no longer matches
    path.write_bytes(b"\n".join(lines))
    rep = verify_caches(root=tmp_path)
    assert rep.problem.tolist() == ["1 torn or altered line(s)"]
    rep = verify_caches(repair=True, root=tmp_path)
    assert rep.action.tolist() == ["dropped the 1 torn or altered line(s), kept 2 sound records"]
    assert verify_caches(root=tmp_path).ok.all()
    assert sorted(RecordStore(path, kind="demo", params=dict(a=1)).read()) == ["a0", "a2"]
