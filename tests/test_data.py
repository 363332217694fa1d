"Data layer: the real download path against a loopback HTTP server, checksum refusal, offline errors, verify CLI."
import functools, http.server, os, shutil, threading
from pathlib import Path
import pytest
from transnas_repro import data

NAME = "nb101/naslib_zc_nasbench101.json"

@pytest.fixture
def server(tmp_path):
    "Serve tmp_path/www on 127.0.0.1 (a mirror laid out like shared/data)."
    www = tmp_path / "www"; www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True); t.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown(); httpd.server_close()

@pytest.fixture
def isolated(tmp_path, monkeypatch):
    "No local data folder, an empty cache."
    monkeypatch.delenv("TRANSNAS_REPRO_DATA", raising=False)
    monkeypatch.setenv("TRANSNAS_REPRO_CACHE", str(tmp_path / "cache"))
    data._verified.clear()
    return tmp_path

_ROOT = os.environ.get("TRANSNAS_REPRO_DATA")

def _source():
    root = _ROOT
    if not root or not (Path(root) / NAME).exists(): pytest.skip("needs TRANSNAS_REPRO_DATA")
    return Path(root) / NAME

def test_download_good_copy(server, isolated, monkeypatch):
    src = _source(); www, url = server
    (www / "nb101").mkdir(); shutil.copy(src, www / NAME)
    monkeypatch.setenv("TRANSNAS_REPRO_MIRROR", url)
    p = data.data_path(NAME)
    assert p.is_relative_to(isolated / "cache") and data.sha256sum(p) == data.FILES[NAME].sha256
    # second call: served from the cache, no server needed
    monkeypatch.setenv("TRANSNAS_REPRO_MIRROR", "http://127.0.0.1:9")
    assert data.data_path(NAME) == p

def test_download_corrupt_copy_refused(server, isolated, monkeypatch):
    src = _source(); www, url = server
    (www / "nb101").mkdir(); b = bytearray(src.read_bytes()); b[100] ^= 1; (www / NAME).write_bytes(bytes(b))
    monkeypatch.setenv("TRANSNAS_REPRO_MIRROR", url)
    with pytest.raises(data.ChecksumError) as e: data.data_path(NAME)
    msg = str(e.value)
    assert NAME in msg and data.FILES[NAME].sha256 in msg and "Fix:" in msg
    assert not (isolated / "cache" / "data" / NAME).exists(), "a corrupt download must not stay in the cache"

def test_offline_error_names_url_and_env(isolated, monkeypatch):
    monkeypatch.setenv("TRANSNAS_REPRO_MIRROR", "http://127.0.0.1:9")   # nothing listens on port 9
    with pytest.raises(data.DataError) as e: data.data_path(NAME)
    assert "http://127.0.0.1:9/" + NAME in str(e.value) and "TRANSNAS_REPRO_DATA" in str(e.value)

def test_no_download_flag(isolated):
    with pytest.raises(data.DataError, match="download=False"): data.data_path(NAME, download=False)

@pytest.mark.needs_data
def test_verify_all_local():
    rep = data.verify_all(download=False)
    assert rep.ok.all(), rep[~rep.ok]


def test_a_data_folder_that_does_not_exist_is_named(tmp_path, monkeypatch):
    "TRANSNAS_REPRO_DATA pointing nowhere: one error naming it, not a fall-through to a download that fails elsewhere."
    from transnas_repro.data import DataError, data_path
    monkeypatch.setenv("TRANSNAS_REPRO_DATA", str(tmp_path/"nosuchdir"))
    with pytest.raises(DataError, match=r"TRANSNAS_REPRO_DATA=.*nosuchdir is not a folder.*Fix:"):
        data_path("tnb101/transbench101_class_object.csv")


def test_a_cache_path_that_is_a_file_is_named(tmp_path, monkeypatch):
    from transnas_repro.core import cache_dir
    (tmp_path/"afile").write_text("x")
    monkeypatch.setenv("TRANSNAS_REPRO_CACHE", str(tmp_path/"afile"))
    with pytest.raises(ValueError, match=r"afile is a file, not a folder.*Fix: point TRANSNAS_REPRO_CACHE"):
        cache_dir("registry")


_HOLD = """
import sys, time
from transnas_repro.data import cache_lock
with cache_lock(sys.argv[1]): print("held", flush=True); time.sleep(float(sys.argv[2]))
"""

def test_cache_lock_excludes_another_process_and_times_out_with_the_fix(tmp_path):
    "A second builder waits for the first: past its timeout a CacheError names the path and the lock file; once released, it gets the lock."
    import subprocess, sys, time
    target = tmp_path / "cache.parquet"
    p = subprocess.Popen([sys.executable, "-c", _HOLD, str(target), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "held"
        t0 = time.perf_counter()
        with pytest.raises(data.CacheError, match=r"Waited 0.3 s for another process building .*cache\.parquet.*delete .*cache\.parquet\.lock"):
            with data.cache_lock(target, timeout=0.3): pass
        assert time.perf_counter() - t0 >= 0.25                       # it waited, not failed at once
        with data.cache_lock(target, timeout=30): got = time.perf_counter() - t0   # blocks until the holder exits
        assert got >= 1.0
    finally: p.kill(); p.wait()
    with data.cache_lock(target, timeout=0.3): pass                   # released: taken at once
