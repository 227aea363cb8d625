"""gunicorn settings for openday (`gunicorn -c openday/gunicorn_conf.py wsgi:app`).

Every worker is stateless: sessions live in signed cookies, rate-limit counters in Redis when
OPENDAY_RATELIMIT_STORAGE_URI points there, data in the database, so any number of app servers
can sit behind one load balancer.
"""
import os

bind = os.environ.get("OPENDAY_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("OPENDAY_WORKERS", "2"))
threads = int(os.environ.get("OPENDAY_THREADS", "4"))
# gthread (threads share a worker's caches and connection pool); OPENDAY_WORKER_CLASS=sync for
# one request at a time per process. `make bench`'s comparison is in the README (Performance).
worker_class = os.environ.get("OPENDAY_WORKER_CLASS", "gthread")
timeout = 30
graceful_timeout = 20
keepalive = 5
# Workers are not recycled by default. At campaign load 20,000 requests (the old setting) were a
# few seconds of a worker's life, and each restart dropped its keep-alive connections: `make bench`
# measured the bare floor at 6,100 req/s before the first recycle and 3,800 after, and openday's
# pages likewise. Memory does not need it: every per-process cache is bounded (openday/cache.py,
# the card and fragment LRUs) and a worker stays near 110 MB under load. OPENDAY_MAX_REQUESTS
# turns recycling back on for a deployment that wants it.
max_requests = int(os.environ.get("OPENDAY_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("OPENDAY_ACCESS_LOG") or None
# Access logs show paths; manage tokens live in paths, so log the route's pattern-free form only.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

# ---- Privacy (SPEC §7): logs never carry a manage token or a phone number ----------------------
# The manage token *is* the path of /bookings/<token>, /bookings/<token>.ics and
# /api/v1/bookings/<token>, so every access-log atom (path, request line, referer, headers) and
# every error-log record, including Flask's "Exception on /bookings/<token>" and tracebacks, is
# passed through `redact` before it is written.
import logging  # noqa: E402
import re  # noqa: E402

from gunicorn.glogging import Logger  # noqa: E402

_TOKEN_PATH = re.compile(r"(/bookings/)(?!\[token\])([^/?#\s\"'.]+)(\.(?:pyc?|html)\b)?")
# What follows /bookings/ in a file path (openday/bookings/ratelimit.py, templates/bookings/
# manage.html, __pycache__) rather than a URL. A token has at least 128 bits, so 22 characters
# of base64: a shorter run of lowercase letters is a word, never a token (nor a secret).
_WORD = re.compile(r"[a-z_]{1,21}")
# Mainland mobiles as typed, and any number in E.164 (+852…, as booking phones are stored).
_PHONE = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[\s-]?)?1[3-9][0-9](?:[\s-]?[0-9]){8}(?![0-9])"
                    r"|\+[1-9][0-9]{6,14}(?![0-9])")


def _token(match: re.Match) -> str:
    segment, source_file = match.group(2), match.group(3)
    if source_file or _WORD.fullmatch(segment):
        return match.group(0)
    return match.group(1) + "[token]"


def redact(text: str) -> str:
    return _PHONE.sub("[phone]", _TOKEN_PATH.sub(_token, text))


class RedactFilter(logging.Filter):
    """Rewrites a record's message and traceback without tokens or phone numbers."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own error path
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


REDACT = RedactFilter()


class RedactingLogger(Logger):
    """gunicorn's logger with every access-log atom and error-log record redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(REDACT)
        self.access_log.addFilter(REDACT)


logger_class = RedactingLogger


# ---- Metrics (openday/metrics.py): one Prometheus view over every worker -------------------------
# prometheus_client's multiprocess mode: each worker writes its samples to files in this directory
# and a scrape of any worker adds them all up. The master sets it on start, before it forks a
# worker (the app is not preloaded, so no worker has imported prometheus_client yet); importing this
# file elsewhere changes nothing. A directory holding a previous run's files would add their counts
# in, so the master clears them; a dead worker's live gauges are dropped when it exits.
import shutil  # noqa: E402
import tempfile  # noqa: E402

# Only prometheus_client's own files: an operator's directory may hold anything else.
_METRICS_FILE = re.compile(r"^(counter|histogram|summary|gauge_[a-z]+)_\d+\.db$")
_own_metrics_dir: str | None = None


def on_starting(server):
    global _own_metrics_dir
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        directory = _own_metrics_dir = tempfile.mkdtemp(prefix="openday-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if _METRICS_FILE.match(name):
            os.unlink(os.path.join(directory, name))


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    # Flask logs through its default handler (to wsgi.errors, i.e. gunicorn's error log) and the
    # app's own loggers propagate to it: filter there too.
    from flask.logging import default_handler
    default_handler.addFilter(REDACT)
    logging.getLogger("openday").addFilter(REDACT)
