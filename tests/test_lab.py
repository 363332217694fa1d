"""JupyterLab for readers: `make lab` serves nbs/; a server on a loopback port lists the tutorials, opens one and runs a
cell against a kernel of this environment that imports the package (bounded in time, shut down at the end)."""
import json, os, secrets, shutil, socket, subprocess, sys, time, uuid, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
JUPYTER = Path(sys.executable).parent/"jupyter"
pytestmark = pytest.mark.skipif(not JUPYTER.exists() or shutil.which("jupyter-lab", path=str(JUPYTER.parent)) is None,
                                reason="jupyterlab is not installed (pip install -e '.[dev]')")


def _port() -> int:
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def _get(url, token, method="GET", body=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r: return json.loads(r.read() or b"null")


def _run_cell(base, token, kernel_id, code, timeout=60):
    "Execute `code` on the kernel through the server's websocket; (status, text printed)."
    from tornado import ioloop, websocket, httpclient
    async def go():
        req = httpclient.HTTPRequest(f"ws{base[4:]}/api/kernels/{kernel_id}/channels", headers={"Authorization": f"token {token}"})
        ws = await websocket.websocket_connect(req)
        msg_id = uuid.uuid4().hex
        ws.write_message(json.dumps(dict(header=dict(msg_id=msg_id, msg_type="execute_request", username="test", session=uuid.uuid4().hex,
                                                     version="5.3", date=""), parent_header={}, metadata={}, channel="shell",
                                         content=dict(code=code, silent=False, store_history=False, user_expressions={},
                                                      allow_stdin=False, stop_on_error=True))))
        out, status, idle, t0 = [], None, False, time.time()
        while (status is None or not idle) and time.time() - t0 < timeout:   # the reply (shell) and idle (iopub), any order
            raw = await ws.read_message()
            if raw is None: break
            m = json.loads(raw)
            if m.get("parent_header", {}).get("msg_id") != msg_id: continue
            if m["msg_type"] == "stream": out.append(m["content"]["text"])
            if m["msg_type"] == "execute_reply": status = m["content"]["status"]
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle": idle = True
        ws.close()
        return status, "".join(out)
    return ioloop.IOLoop.current().run_sync(go, timeout=timeout + 10)


def test_lab_serves_the_tutorials_and_runs_a_cell(tmp_path):
    port, token = _port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path/"rt"), JUPYTER_CONFIG_DIR=str(tmp_path/"cfg"), JUPYTER_DATA_DIR=str(tmp_path/"data"))
    env.pop("PYTHONPATH", None)      # the environment's own install is under test, not a caller's PYTHONPATH (one pointing at another checkout failed this)
    server = subprocess.Popen([str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
                               f"--ServerApp.root_dir={ROOT/'nbs'}", "--ServerApp.port_retries=0", "--allow-root"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):                                                # up to 60 s to start
            try: _get(f"{base}/api/status", token); break
            except OSError: time.sleep(0.5)
        else: pytest.fail("jupyter lab did not start within 60 s")
        listing = _get(f"{base}/api/contents/tutorials", token)["content"]
        names = {x["name"] for x in listing}
        assert {"01_query_benchmarks.ipynb", "05_reproduce_a_table.ipynb"} <= names, names
        nb = _get(f"{base}/api/contents/tutorials/01_query_benchmarks.ipynb", token)
        assert nb["type"] == "notebook" and nb["content"]["cells"]                 # it opens
        session = _get(f"{base}/api/sessions", token, "POST",
                       dict(path="tutorials/01_query_benchmarks.ipynb", type="notebook", kernel=dict(name="python3")))
        status, text = _run_cell(base, token, session["kernel"]["id"],
                                 "import sys, transnas_repro; print(sys.executable); print(transnas_repro.__file__)")
        assert status == "ok", text
        exe, pkg = text.split()
        assert Path(exe).parent == Path(sys.executable).parent                     # the project's environment is the kernel
        assert Path(pkg).resolve().is_relative_to(ROOT)                            # and it imports this checkout
    finally:
        server.terminate()
        try: server.wait(timeout=20)
        except subprocess.TimeoutExpired: server.kill()
