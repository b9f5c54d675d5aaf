"""`make run`'s launcher: everything ready, then nothing left behind after SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cw_shared.local import free_port

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = ["CW_QUEUE_", "CW_VIDEO_", "CW_FACE_", "CW_ESIGN_"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone in every way that matters; /proc says so.
    status = Path(f"/proc/{pid}/status").read_text()
    return "State:\tZ" not in status


def test_the_launcher_starts_everything_and_stops_everything(tmp_path: Path) -> None:
    ports = {prefix: free_port() for prefix in PREFIXES}
    env = dict(os.environ, CW_VAR_DIR=str(tmp_path), CW_NATS_PORT=str(free_port()))
    env.update({f"{prefix}PORT": str(port) for prefix, port in ports.items()})
    launcher = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy/local/launch.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    assert launcher.stdout is not None
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = launcher.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.strip() == "ready":
                break
        assert output, "the launcher printed nothing"
        assert output[-1].strip() == "ready", "".join(output)

        for port in ports.values():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                assert response.status == 200
        pids = [int(p.read_text()) for p in (tmp_path / "run").glob("*.pid")]
        assert len(pids) == 5  # nats-server and four services
        assert "token --role clerk --centre dinghai" in "".join(output)
    finally:
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=30) == 0
    assert not [pid for pid in pids if _alive(pid)]
    assert not list((tmp_path / "run").glob("*.pid"))
