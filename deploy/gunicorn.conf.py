"""gunicorn for SpotCheck behind nginx: `gunicorn -c deploy/gunicorn.conf.py server.wsgi:app`.

Every number can be changed from the environment (GUNICORN_*; not SPOTCHECK_*, which Flask reads
into the app's own config). Why these values:

- gthread: a worker's threads share one process, so a thread stuck on a slow phone (a tus
  PATCH arrives at mobile speed: nginx streams it, it does not buffer uploads) does not block
  the others, and idle keep-alive connections wait in the poller, not in a thread.
- timeouts: nginx bounds the slow client (client_body_timeout / proxy_send_timeout); here
  `timeout` is the worker heartbeat, and graceful_timeout lets a 1 MiB chunk in flight finish
  during a restart instead of being cut (tus would resume it, but the phone pays again).
- max_requests with jitter: workers are recycled now and then, never all at once.
- the access log has no query strings, no Referer and masks the e-credential token in
  /c/<token>: these are the places a secret could ride in a URL.
"""

from __future__ import annotations

import multiprocessing
import os
import re

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _default_workers() -> int:
    # The classic 2 × cores + 1, capped: every worker holds its own SQLAlchemy pool (PostgreSQL
    # connections) and its own copy of the app, and past ~8 a single box gains nothing.
    cores = multiprocessing.cpu_count()
    return max(2, min(2 * cores + 1, _int("GUNICORN_MAX_WORKERS", 8)))


# Where nginx reaches us. Loopback by default; a unix socket works too
# (GUNICORN_BIND=unix:/run/spotcheck/gunicorn.sock, then point nginx's upstream at it).
bind = [b.strip() for b in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",") if b]

worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", _default_workers()))
threads = _int("GUNICORN_THREADS", 4)
# Load the app in each worker (not in the master): a worker recycled by max_requests starts
# with fresh connections, and no database socket is ever shared across a fork.
preload_app = False

timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 90)
# Longer than nginx's upstream keepalive_timeout (60 s), so nginx always closes an idle
# upstream connection first and never writes into one gunicorn has just closed.
keepalive = _int("GUNICORN_KEEPALIVE", 75)

max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# nginx terminates TLS and sends X-Forwarded-Proto: https. gunicorn trusts it only from these
# addresses (nginx on the same host), which makes request.is_secure true — the app then sends
# HSTS and builds https:// URLs. With nginx on another host, set its address here.
# The client's address (X-Forwarded-For) is the app's business: SPOTCHECK_PROXY_COUNT=1 in
# /etc/spotcheck/env makes it trust exactly one proxy (werkzeug ProxyFix), so rate limits and
# the credential-scan log see the phone, not nginx.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# A request line up to 8 KiB (long console filter URLs), header fields at gunicorn's default;
# body limits are nginx's client_max_body_size and the app's (MAX_CONTENT_LENGTH, Tus-Max-Size).
limit_request_line = 8190

# The runtime control socket (gunicorn ≥ 25) would live in $HOME, which the service user
# does not have and ProtectSystem=strict would not let it write anyway.
control_socket_disable = True

# Logs to stdout/stderr: journald (systemd) or `docker logs` keep them.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Client address as nginx saw it (X-Real-IP), method, path without the query string, status,
# bytes, milliseconds, user agent. No Referer: it carries the previous page's query string.
access_log_format = '%({x-real-ip}i)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

proc_name = "spotcheck-web"

# /c/<token> (the QR code of an e-credential) and its JSON twin: the token is a capability.
_TOKEN_PATHS = re.compile(r"^(/c/|/api/v1/public/credentials/)[^/]+")


class MaskingLogger(Logger):
    """The stock access logger, with credential tokens in paths replaced by `[token]`."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = atoms.get("U") or ""
        atoms["U"] = _TOKEN_PATHS.sub(r"\1[token]", path)
        return atoms


logger_class = MaskingLogger
