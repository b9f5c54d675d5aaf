"""Run the whole system on one machine: ``make run``.

Migrates every service's SQLite database under ``var/``, starts nats-server with JetStream
(data under ``var/nats``), starts the four services, waits until each ``/readyz`` answers 200,
and prints where to go. SIGINT or SIGTERM stops everything; children are also bound to die
with the launcher (PR_SET_PDEATHSIG), so nothing is left behind even if it is killed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cw_shared.auth import LocalIssuer
from cw_shared.local import nats_server_binary, wait_for_port
from cw_shared.migrations import upgrade
from cw_shared.settings import ServiceSettings
from esign.config import EsignSettings
from face_verify.config import FaceSettings
from queue_api.config import QueueSettings
from video_session.config import VideoSettings

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 10
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Service:
    name: str
    package: str
    prefix: str
    default_port: int
    settings_cls: type[ServiceSettings]

    @property
    def port(self) -> int:
        return int(os.environ.get(f"{self.prefix}PORT", self.default_port))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


SERVICES = [
    Service("queue-api", "queue_api", "CW_QUEUE_", 8101, QueueSettings),
    Service("video-session", "video_session", "CW_VIDEO_", 8102, VideoSettings),
    Service("face-verify", "face_verify", "CW_FACE_", 8103, FaceSettings),
    Service("esign", "esign", "CW_ESIGN_", 8104, EsignSettings),
]


def _die_with_parent() -> None:
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Launcher:
    def __init__(self) -> None:
        self.var_dir = Path(os.environ.get("CW_VAR_DIR", ROOT / "var")).resolve()
        self.nats_port = int(os.environ.get("CW_NATS_PORT", 4222))
        self.logs = self.var_dir / "log"
        self.pids = self.var_dir / "run"
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_signal)
        try:
            self._prepare()
            self._start_nats()
            for service in SERVICES:
                self._start_service(service)
            self._wait_until_ready()
            self._print_welcome()
            return self._supervise()
        except (RuntimeError, TimeoutError) as exc:
            print(f"\ncw: {exc}", file=sys.stderr)
            return 1
        finally:
            self._stop_all()

    def _on_signal(self, _signum: int, _frame: object) -> None:
        self.stopping = True

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "CW_VAR_DIR": str(self.var_dir),
                "CW_NATS_URL": f"nats://127.0.0.1:{self.nats_port}",
                "CW_VIDEO_PUBLIC_URL": env.get("CW_VIDEO_PUBLIC_URL", SERVICES[1].url),
            }
        )
        return env

    def _prepare(self) -> None:
        for folder in (self.var_dir, self.logs, self.pids):
            folder.mkdir(parents=True, exist_ok=True)
        os.environ.update(self._env())
        for service in SERVICES:
            settings = service.settings_cls()
            print(f"cw: migrating {service.name}", flush=True)
            upgrade(ROOT / "services" / service.name, settings.database_url)
        settings = QueueSettings()
        # Made before the services start, so four processes never race to create it.
        issuer = LocalIssuer(
            settings.keys_dir, issuer=settings.auth_issuer, audience=settings.auth_audience
        )
        print(f"cw: token issuer key {issuer.kid} in {settings.keys_dir}", flush=True)

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self._env(),
            cwd=ROOT,
            preexec_fn=_die_with_parent,
        )
        self.children[name] = process
        (self.pids / f"{name}.pid").write_text(str(process.pid))

    def _start_nats(self) -> None:
        print(f"cw: starting nats-server on port {self.nats_port}", flush=True)
        self._spawn(
            "nats-server",
            [
                nats_server_binary(),
                "-js",
                "-sd",
                str(self.var_dir / "nats"),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.nats_port),
            ],
        )
        try:
            wait_for_port(self.nats_port, timeout=15)
        except TimeoutError as exc:
            raise RuntimeError(
                f"nats-server did not start; see {self.logs / 'nats-server.log'}"
            ) from exc

    def _start_service(self, service: Service) -> None:
        print(f"cw: starting {service.name} on port {service.port}", flush=True)
        self._spawn(
            service.name,
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"{service.package}.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(service.port),
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "5",
            ],
        )

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        waiting = list(SERVICES)
        while waiting:
            if self.stopping:
                raise RuntimeError("interrupted")
            self._check_children()
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in waiting)
                raise TimeoutError(f"not ready after {READY_TIMEOUT_SECONDS}s: {names}")
            waiting = [s for s in waiting if not _ready(s)]
            time.sleep(0.2)

    def _check_children(self) -> None:
        for name, process in self.children.items():
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")

    def _print_welcome(self) -> None:
        cw = str(Path(sys.executable).with_name("cw"))
        if self.var_dir != (ROOT / "var").resolve():
            cw += f" --var-dir {self.var_dir}"
        lines = ["", "Zhoujing Cloud Window is running:", ""]
        for service in SERVICES:
            lines.append(f"  {service.name:<14} {service.url}   docs: {service.url}/docs")
        lines += [
            f"  {'nats-server':<14} nats://127.0.0.1:{self.nats_port}",
            "",
            "Tokens (local issuer, keys in var/keys):",
            f"  {cw} token --role admin",
            f"  {cw} token --role clerk --centre dinghai --sub clerk-001",
            f"  {cw} token --role agent --station huaniao --sub agent-001",
            f"  {cw} token --role citizen --sub citizen-001",
            "",
            "Try:",
            f'  curl -H "Authorization: Bearer $({cw} token --role admin)" '
            + f"{SERVICES[0].url}/v1/centres",
            "",
            f"Logs: {self.logs}/<service>.log   Stop: Ctrl-C",
            "ready",
        ]
        print("\n".join(lines), flush=True)

    def _supervise(self) -> int:
        while not self.stopping:
            time.sleep(0.5)
            if self.stopping:
                break
            try:
                self._check_children()
            except RuntimeError as exc:
                print(f"\ncw: {exc}", file=sys.stderr)
                return 1
        print("\ncw: stopping", flush=True)
        return 0

    def _stop_all(self) -> None:
        # Services first, so they drain their bus connections; the bus after them.
        self._stop([s.name for s in SERVICES])
        self._stop(["nats-server"])

    def _stop(self, names: list[str]) -> None:
        running = [(n, p) for n in names if (p := self.children.get(n)) and p.poll() is None]
        for _name, process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for _name, process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for name in names:
            (self.pids / f"{name}.pid").unlink(missing_ok=True)


def _ready(service: Service) -> bool:
    try:
        with urllib.request.urlopen(f"{service.url}/readyz", timeout=1) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(Launcher().run())
