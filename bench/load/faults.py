"""Faults the load test injects in the middle of the load (`--fault NAME`, repeatable).

- worker-kill: SIGKILL one gunicorn worker; the arbiter respawns it.
- server-restart: SIGTERM the whole gunicorn (graceful), then start it again on the same port.
- s3-outage: the app reaches moto through `S3Gate`, a small asyncio TCP proxy in this process;
  for 30 s it cuts every open connection and resets every new one.
- pg-restart: `pg_ctlcluster 15 main restart`, the machine's PostgreSQL that other people use too:
  only with `--allow-pg-restart` (the runner refuses the fault without it).

Each fault returns when it is over (the server restarted, S3 back, PostgreSQL up); the runner
then measures from the clients' side how long requests kept failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from bench import sync_submit
from bench.sync_submit import _tree, start_gunicorn, stop_gunicorn

NAMES = ("worker-kill", "server-restart", "pg-restart", "s3-outage")
S3_OUTAGE_SECONDS = 30.0
PG_CLUSTER = ("15", "main")  # Debian's cluster of this machine: /etc/postgresql/15/main


class Gunicorn:
    """The served app: one gunicorn arbiter, restartable on the port it first got."""

    def __init__(self, spec: str, env: dict, workers: int, threads: int):
        self.spec, self.env, self.workers, self.threads = spec, env, workers, threads
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    def start(self) -> None:
        if self.port is None:
            self.process, self.port = start_gunicorn(
                self.spec, self.env, self.workers, self.threads
            )
            return
        # start_gunicorn picks a free port itself; a restart must come back on the same one
        # (the phones keep their address), so its port picker answers ours for this call.
        picker = sync_submit.free_port
        sync_submit.free_port = lambda: self.port
        try:
            self.process, _ = start_gunicorn(self.spec, self.env, self.workers, self.threads)
        finally:
            sync_submit.free_port = picker

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_gunicorn(self.process)

    def worker_pids(self) -> list[int]:
        return _tree(self.process.pid)[1:] if self.process else []


def _sockets(pid: int) -> int:
    """Open sockets of a process: its clients' keep-alive connections and its database pool."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    count = 0
    for fd in fds:
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return count


def kill_worker(server: Gunicorn) -> dict:
    """SIGKILL the busiest worker (most open sockets: phones connected to it), then wait until
    the arbiter has as many workers as before."""
    before = server.worker_pids()
    load = {pid: _sockets(pid) for pid in before}
    victim = max(before, key=load.get)
    started = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    respawned = None
    while time.monotonic() - started < 60:
        now = server.worker_pids()
        if victim not in now and len(now) >= len(before):
            respawned = time.monotonic() - started
            break
        time.sleep(0.05)
    return {
        "detail": f"SIGKILL worker pid {victim} (sockets per worker: {sorted(load.values())})",
        "respawn_s": respawned,
    }


def restart_server(server: Gunicorn) -> dict:
    """SIGTERM the arbiter (graceful: requests in flight finish), then start on the same port."""
    started = time.monotonic()
    workers = server.worker_pids()
    server.stop()
    stopped = time.monotonic() - started
    # stop_gunicorn gives up on the arbiter after 30 s (the conf allows 90 s of grace): workers
    # left behind would still hold the listening socket and the new arbiter could not bind.
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.start()  # returns once /healthz answers 200
    return {
        "detail": f"SIGTERM arbiter, restart on :{server.port}",
        "stop_s": stopped,
        "down_s": time.monotonic() - started,
    }


def restart_postgresql() -> dict:
    """Restart the machine's PostgreSQL cluster (every database on it, not only ours)."""
    version, name = PG_CLUSTER
    if not Path(f"/etc/postgresql/{version}/{name}").is_dir():
        raise RuntimeError(f"no PostgreSQL cluster {version}/{name} on this machine")
    print(f"WARNING: restarting PostgreSQL cluster {version}/{name} for everyone on this machine")
    started = time.monotonic()
    # Our own fixed command line; pg_ctlcluster runs pg_ctl as the cluster's owner and waits
    # until the server accepts connections again (its default stop mode is "fast").
    subprocess.run(["pg_ctlcluster", version, name, "restart"], check=True)  # noqa: S603, S607
    return {
        "detail": f"pg_ctlcluster {version} {name} restart",
        "down_s": time.monotonic() - started,
    }


class S3Gate:
    """A TCP proxy on 127.0.0.1 in front of moto; `outage()` makes S3 unreachable for a while.

    While closed, every open connection is aborted and every new one is accepted and reset at
    once, so boto3 sees "connection reset/closed" quickly instead of waiting out its timeouts.
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.is_open = True
        self.cut_connections = 0
        self._transports: set = set()
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    async def _pipe(self, reader, writer) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(256 * 1024):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()

    async def _handle(self, reader, writer) -> None:
        if not self.is_open:
            self.cut_connections += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer.transport, up_writer.transport}
        self._transports |= pair
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._transports -= pair

    def _cut(self) -> None:
        self.is_open = False
        for transport in list(self._transports):
            self.cut_connections += 1
            transport.abort()

    def outage(self, seconds: float = S3_OUTAGE_SECONDS) -> dict:
        """Close the gate for `seconds` (blocking), then open it again."""
        self._loop.call_soon_threadsafe(self._cut)
        time.sleep(seconds)
        self.is_open = True
        return {"detail": f"S3 unreachable for {seconds:.0f} s", "down_s": seconds}

    def close(self) -> None:
        def shutdown():
            self._server.close()
            self._cut()
            self._loop.stop()

        self._loop.call_soon_threadsafe(shutdown)
        self._thread.join(timeout=5)


def inject(name: str, server: Gunicorn, gate: S3Gate | None) -> dict:
    """Run one fault to its end; returns what was done and how long the outage lasted."""
    if name == "worker-kill":
        return kill_worker(server)
    if name == "server-restart":
        return restart_server(server)
    if name == "s3-outage":
        assert gate is not None, "s3-outage needs the S3 gate"
        return gate.outage()
    if name == "pg-restart":
        return restart_postgresql()
    raise ValueError(name)
