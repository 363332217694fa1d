"Searchers registered by other modules are found on demand (worker processes import nothing but `search`)."
import subprocess, sys

def test_run_finds_plugin_searchers_in_a_fresh_process():
    code = ("from transnas_repro import search\n"
            "assert 'arch-graph' not in search.SEARCHERS\n"
            "loaded = search.load_searcher_modules()\n"
            "print(sorted(search.SEARCHERS)); print(loaded)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for name in ["arch-graph", "ktnas", "gennas", "cl-ea", "random", "rea", "local"]:
        assert f"'{name}'" in out, out

def test_unknown_searcher_error_lists_plugins():
    import pytest
    from transnas_repro import search
    with pytest.raises(ValueError) as e:
        search.run("no-such-method", "tnb101_micro", "class_object", budget=5)
    assert "no-such-method" in str(e.value) and "arch-graph" in str(e.value)
