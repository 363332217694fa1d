import os
from pathlib import Path
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if not os.environ.get("TRANSNAS_REPRO_DATA") and (SHARED / "SHA256SUMS").exists():
    os.environ["TRANSNAS_REPRO_DATA"] = str(SHARED)

def pytest_collection_modifyitems(config, items):
    "Tests that need the benchmark data are skipped (with the reason) when no data folder is configured."
    if os.environ.get("TRANSNAS_REPRO_DATA"): return
    skip = pytest.mark.skip(reason="needs TRANSNAS_REPRO_DATA (benchmark ground truth)")
    for it in items:
        if "needs_data" in it.keywords: it.add_marker(skip)

# Timing on this shared 2-core machine is noisy: hypothesis deadlines would make tests flaky.
from hypothesis import settings as _hsettings
_hsettings.register_profile("project", deadline=None)
_hsettings.load_profile("project")
