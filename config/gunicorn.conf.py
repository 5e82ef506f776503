"""gunicorn settings for the portal (docs/deployment.md explains the numbers).

    gunicorn -c config/gunicorn.conf.py            # or: gainportal serve

Every value can be overridden from the environment (GAINPORTAL_WORKERS, GAINPORTAL_THREADS,
GAINPORTAL_BIND, ...) or on gunicorn's command line.

Database connections: each worker process owns one SQLAlchemy pool. A request holds at most
one connection, so a pool of ``threads`` connections never makes a thread wait, and a small
overflow covers the odd request that opens a second one (health checks). The total a host
can open is

    workers x (db_pool_size + db_max_overflow)

and across the deployment ``hosts x workers x (pool + overflow) + job workers + admin``
must stay below PostgreSQL's ``max_connections`` (100 by default). With the defaults on a
4-core host: 8 workers x (4 + 2) = 48 per host, so two app hosts need max_connections >= 110
or a pgbouncer in transaction mode in front of PostgreSQL.
"""
from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


cpus = multiprocessing.cpu_count()

wsgi_app = "gainportal.wsgi:app"
bind = os.environ.get("GAINPORTAL_BIND", "127.0.0.1:8000")

# Pages are CPU work in Python (templates, AES-GCM, argon2 at sign-in) with short waits on
# PostgreSQL: two processes per core keep the cores busy while one waits. One request
# thread per process: with 4 threads, when web workers still held the cross-matching index,
# they crashed inside libpq (SIGSEGV) under the national load bench; with 1 thread none did,
# and the bench served more (58 pages/s against 42-48; bench/README.md). nginx absorbs slow
# clients.
workers = _int("GAINPORTAL_WORKERS", max(2, 2 * cpus))
# GAINPORTAL_WORKER_CLASS=sync was tried (bench/README.md): gthread with one thread measured
# best of the shapes tried (4 x 1 against sync x 4 and gthread 4 x 4, paced national load).
worker_class = os.environ.get("GAINPORTAL_WORKER_CLASS", "gthread")
threads = _int("GAINPORTAL_THREADS", 1)

# A request taking longer than this has hung: the worker is killed and replaced (the
# statement timeout below fires first for a slow query, so this is the last resort).
timeout = _int("GAINPORTAL_WORKER_TIMEOUT", 30)
# On SIGTERM (deploys, scaling in) workers finish the requests in hand for this long.
graceful_timeout = _int("GAINPORTAL_GRACEFUL_TIMEOUT", 25)
# Behind nginx, which keeps its own upstream connections; a little above nothing.
keepalive = _int("GAINPORTAL_KEEPALIVE", 5)
# How many connections a worker takes from the listening socket (gunicorn's default 1000).
# A gthread worker accepts while below this even when all its threads are busy, queueing
# the request behind the one in hand while another worker may be idle.
worker_connections = _int("GAINPORTAL_WORKER_CONNECTIONS", 1000)
# Recycle workers now and then, jittered so they do not all restart at once.
max_requests = _int("GAINPORTAL_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
# A full garbage collection after every this many requests, outside them (0: Python's own
# schedule). See post_worker_init.
full_gc_every = _int("GAINPORTAL_FULL_GC_EVERY", 200)
FULL_GC_NEVER = 2**31 - 1  # gen-1 collections before an automatic full one: never
_served = 0
# The heartbeat file on tmpfs: a slow disk must not make healthy workers look hung.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Not preloading: each worker builds its own app, engine and Redis connections after the
# fork, and a new deploy's code is what each new worker imports. With preload on (faster
# start, shared memory), gainportal.db disposes inherited pools in the child at fork time,
# so no socket is ever shared between processes.
preload_app = os.environ.get("GAINPORTAL_PRELOAD", "") in ("1", "true", "yes")

# Only ProxyFix, with the hop count in GAINPORTAL_PROXY_FIX_HOPS, interprets X-Forwarded-*:
# one place decides which proxy to believe.
forwarded_allow_ips = ""

# The app writes one structured line per request (route rule, status, duration, user id:
# gainportal.logging_setup). gunicorn's own access log is off; if turned on
# (GAINPORTAL_ACCESS_LOG=-) its format has the path without the query string (%(U)s),
# because queries and invitation tokens must not be written to disk by the web tier.
accesslog = os.environ.get("GAINPORTAL_ACCESS_LOG") or None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GAINPORTAL_LOG_LEVEL", "info").lower()
_access_handlers = ["stderr"] if accesslog else ["null"]
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "gainportal.logging_setup.JsonFormatter"}},
    "filters": {"request_id": {"()": "gainportal.logging_setup.RequestIdFilter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"],
                            "stream": "ext://sys.stderr"},
                 "null": {"class": "logging.NullHandler"}},
    # The app's own lines go here too; it switches the format to text if settings say so.
    "root": {"handlers": ["stderr"], "level": loglevel.upper()},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": _access_handlers, "level": "INFO", "propagate": False},
    },
}
# gunicorn 23+ opens a control socket in the home directory; several servers on one host
# (blue/green, tests) would fight over one path, and nothing here uses it.
control_socket_disable = True
proc_name = "gainportal"

# Web-only defaults, set before the app is imported in each worker: a pool the size of a
# worker's threads, and a statement timeout below the worker timeout.
os.environ.setdefault("GAINPORTAL_DB_POOL_SIZE", str(threads))
os.environ.setdefault("GAINPORTAL_DB_MAX_OVERFLOW", "2")
os.environ.setdefault("GAINPORTAL_DB_STATEMENT_TIMEOUT_MS", str(max(1000, (timeout - 5) * 1000)))


def post_worker_init(worker):
    import faulthandler

    faulthandler.enable()  # a crash in a C extension leaves its Python stack in the log
    # Web workers never build the cross-matching index: a submission queues its match for
    # `gainportal worker`, which holds the index (docs/deployment.md).
    import gc

    # The app, its templates and libraries are loaded by now and live as long as the worker:
    # moved out of the collector's generations, a full collection no longer walks them on
    # every request that triggers one (about 196,000 objects once the app is loaded).
    gc.collect()
    gc.freeze()
    if full_gc_every:
        # Full collections only between requests (post_request below): a warm worker's
        # caches make one take 30-110 ms, and left to Python it fell inside about one page
        # in fifty, straight into the 95th percentile. Young generations stay automatic.
        young, middle, _old = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_GC_NEVER)


def post_request(worker, req, environ, resp):
    # Runs once the response has been sent and closed, before this thread takes the next.
    global _served
    if not full_gc_every:
        return
    _served += 1
    if _served % full_gc_every == 0:
        import gc

        gc.collect()


def post_fork(server, worker):
    # Belt and braces for --preload: gainportal.db registers an at-fork hook too.
    from gainportal import db

    db._dispose_after_fork()


def worker_int(worker):
    worker.log.info("worker interrupted; finishing in-flight requests")
