"The transnas-repro command: exit codes and messages as a user sees them (real subprocesses)."
import json, os, shutil, subprocess, sys
from pathlib import Path
import pytest

EXE = [str(Path(sys.executable).parent / "transnas-repro")]
pytestmark = pytest.mark.needs_data

def cli(*args, env=None):
    return subprocess.run([*EXE, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300)

def test_bench_info_all_five():
    expect = {"tnb101_micro": ("4096", ["46.32", "54.94", "59.38"]), "tnb101_macro": ("3256", ["47.96"]),
              "nb201": ("15625", ["91.61"]), "nb101_sample": ("architectures", []), "nb301_sample": ("725", [])}
    for name, (size, optima) in expect.items():
        r = cli("bench", "info", name)
        assert r.returncode == 0, r.stderr
        assert size in r.stdout and all(o in r.stdout for o in optima), r.stdout

def test_bench_info_unknown():
    r = cli("bench", "info", "nb202")
    assert r.returncode == 2 and "Valid choices" in r.stderr and "nb201" in r.stderr

def test_search_json():
    r = cli("search", "--bench", "tnb101_micro", "--task", "class_object", "--method", "rea", "--budget", "50", "--seed", "0")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["queries"] == 50 and s["best_arch"].startswith("64-41414-") and 0 <= s["rank_percentile"] <= 100

@pytest.mark.parametrize("args,needle", [(["--method", "bogus"], "Valid choices"), (["--budget", "0"], "1 <= budget"),
                                         (["--budget", "99999"], "4096"), (["--config", "{bad"], "not valid JSON")])
def test_search_bad_input(args, needle):
    r = cli("search", *args)
    assert r.returncode == 2 and needle in r.stderr

def test_data_verify_ok_and_corrupt(tmp_path):
    r = cli("data", "verify", "--quiet", env={"TRANSNAS_REPRO_CACHE": str(tmp_path/"cache")})   # a cache of this test only
    from transnas_repro.data import FILES
    n = len(FILES); assert n >= 29                                   # 29 pinned files today (the NB301 genotypes joined them)
    assert r.returncode == 0 and f"{n}/{n} data files verified" in r.stdout, r.stderr
    bad = tmp_path / "data"; shutil.copytree(os.environ["TRANSNAS_REPRO_DATA"], bad)
    target = bad / "nb301" / "naslib_zc_nasbench301.json"; target.chmod(0o644)
    target.write_bytes(target.read_bytes()[:-10])
    r = cli("data", "verify", "--quiet", env={"TRANSNAS_REPRO_DATA": str(bad)})
    assert r.returncode == 1 and "nb301/naslib_zc_nasbench301.json" in r.stderr and "sha256" in r.stderr
    # --data-dir wins over the environment: the good data in TRANSNAS_REPRO_DATA, the damaged copy given on the command line
    r = cli("data", "verify", "--quiet", "--no-caches", "--data-dir", str(bad))
    assert r.returncode == 1 and "nb301/naslib_zc_nasbench301.json" in r.stderr, r.stderr


def test_data_verify_checks_and_repairs_caches(tmp_path):
    env = {"TRANSNAS_REPRO_CACHE": str(tmp_path/"cache")}
    assert cli("bench", "info", "tnb101_micro", env=env).returncode == 0                 # builds the table cache
    table = next((tmp_path/"cache"/"benchmarks").glob("tnb101_micro-*.parquet"))
    table.write_bytes(table.read_bytes()[:-100])                                        # truncated
    r = cli("data", "verify", "--quiet", env=env)
    assert r.returncode == 1 and "FAIL cache benchmarks/" in r.stderr and "checksum" in r.stderr and "--repair" in r.stdout
    r = cli("data", "verify", "--quiet", "--repair", env=env)
    assert r.returncode == 0 and "-> rebuilt" in r.stderr, r.stderr
    r = cli("data", "verify", "--quiet", env=env)
    assert r.returncode == 0 and "caches sound" in r.stdout

@pytest.mark.parametrize("args,needle", [(["--no-caches", "--repair"], "--no-caches skips them"),
                                         (["--data-dir", "/nonexistent-transnas"], "/nonexistent-transnas is not a folder")])
def test_data_verify_refuses_ignored_or_missing(args, needle, tmp_path):
    r = cli("data", "verify", "--quiet", *args, env={"TRANSNAS_REPRO_CACHE": str(tmp_path/"cache")})
    assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr

def test_a_cache_path_that_is_a_file_still_gives_help_and_one_line(tmp_path):
    (tmp_path/"afile").write_text("")
    env = {"TRANSNAS_REPRO_CACHE": str(tmp_path/"afile")}
    r = cli("--help", env=env)
    assert r.returncode == 0 and "Usage" in r.stdout and "Traceback" not in r.stderr, r.stderr
    r = cli("bench", "info", "tnb101_micro", env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "is a file, not a folder" in r.stderr, r.stderr

def test_corrupt_data_during_search_is_one_message(tmp_path):
    bad = tmp_path/"data"; shutil.copytree(os.environ["TRANSNAS_REPRO_DATA"], bad)
    target = bad/"tnb101"/"transbench101_jigsaw.csv"; target.chmod(0o644); target.write_bytes(target.read_bytes()[:-10])
    r = cli("search", "--budget", "5", env={"TRANSNAS_REPRO_DATA": str(bad)})
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "transbench101_jigsaw.csv" in r.stderr and "Fix:" in r.stderr
    r = cli("--debug", "search", "--budget", "5", env={"TRANSNAS_REPRO_DATA": str(bad)})
    assert r.returncode != 0 and "Traceback" in r.stderr and "ChecksumError" in r.stderr

def test_data_build_nb101_small_space(tmp_path):
    "A 5-vertex space (a second to build): built, found again, a partial cache refused with the fix, --force rebuilds it."
    env = {"TRANSNAS_REPRO_CACHE": str(tmp_path)}
    r = cli("data", "build", "nb101", "--max-vertices", "5", env=env)
    assert r.returncode == 0 and "2532 cells of at most 5 vertices" in r.stdout and "built in" in r.stdout, r.stderr
    assert "already built" in cli("data", "build", "nb101", "--max-vertices", "5", env=env).stdout
    space = next((tmp_path/"benchmarks").glob("nb101-space-5v9e-*.parquet"))
    (space.parent/(space.name + ".meta.json")).unlink()                       # as a build killed before its record
    r = cli("data", "build", "nb101", "--max-vertices", "5", env=env)
    assert r.returncode == 2 and str(space) in r.stderr and "transnas-repro data build nb101 --max-vertices 5 --force" in r.stderr
    assert "Traceback" not in r.stderr
    r = cli("data", "build", "nb101", "--max-vertices", "5", "--force", env=env)
    assert r.returncode == 0 and "built in" in r.stdout
    r = cli("data", "verify", "--quiet", env=env)
    assert r.returncode == 0 and "caches sound" in r.stdout, r.stderr

def test_data_build_bad_input():
    r = cli("data", "build", "nb102")
    assert r.returncode == 2 and "Valid choices: nb101" in r.stderr
    r = cli("data", "build", "nb101", "--max-vertices", "9")
    assert r.returncode == 2 and "2 to 7 vertices" in r.stderr

@pytest.mark.slow
def test_data_build_nb101_full(tmp_path):
    env = {"TRANSNAS_REPRO_CACHE": str(tmp_path)}
    r = cli("data", "build", "nb101", env=env)
    assert r.returncode == 0 and "423624 cells" in r.stdout and "30001 labelled cells" in r.stdout, r.stderr
    r = cli("bench", "info", "nb101", env=env)
    assert r.returncode == 0 and "30001 architectures" in r.stdout and "108 epochs" in r.stdout
