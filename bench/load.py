"""Load benchmark: gunicorn + PostgreSQL on loopback, 16 signed-in users of mixed roles.

Starts gunicorn (config/gunicorn.conf.py) against a seeded database (``gainportal seed-scale``),
and beside it a ``gainportal worker`` on a Redis queue of the run's own (``--redis-url``), which
cross-matches partner submissions as in production (``--no-worker`` leaves them queued; with
``--url`` neither is started). It signs each virtual user in with password and TOTP from the
seed's credentials file, then:

1. hello: the same number of threads fetch ``/livez`` from the same server for a few seconds
   (the bare "hello" baseline: framework, middleware and gunicorn, no database);
2. pages: every user drives its role's pages for ``--duration`` seconds: dashboards, lists,
   request views, the partner inbox, partner draft saves and submissions (with the form's
   CSRF and idempotency tokens, as the browser sends them);

and prints p50/p95/p99 and requests per second per page, next to the hello throughput and
the ratio of the two (the figure that holds on a noisy machine), and how many submissions
the worker matched and how long each job took. Pages are measured client-side, from
sending the request to the last byte, and server-side from the server's request log (per
route, and per page by the X-Request-ID each timed request carries).

The run changes the database (drafts saved, responses submitted, audit rows): point it at a
copy, e.g. ``createdb -T gainportal_scale gainportal_scale_bench``. See bench/README.md.

    .venv/bin/python bench/load.py --database-url postgresql+psycopg://postgres@127.0.0.1/gainportal_scale_bench \\
        --instance-path instance --credentials instance/scale-users.json --users 16 --duration 60
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
import requests

REPO = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
IDEM_RE = re.compile(r'name="idempotency_key" value="([^"]+)"')
OUTCOME_RE = re.compile(r'name="outcome-(\d+)"')

# 16 users: the mix of a force's working day (officers and analysts reading, partners
# answering). Cycled when --users is larger.
ROLE_MIX = ["lro", "partner_spoc", "analyst", "partner_user", "lro", "partner_spoc", "supervisor",
            "gain_coordinator", "partner_spoc", "analyst", "partner_user", "lro", "partner_spoc", "admin",
            "analyst", "partner_user"]

# What each role does, with weights: (page name, weight).
POLICE_PAGES = [("dashboard", 3), ("operations list", 2), ("operation", 3), ("request view", 4)]
PLAN = {
    "lro": POLICE_PAGES,
    "supervisor": POLICE_PAGES,
    "analyst": POLICE_PAGES + [("matches queue", 2)],
    "gain_coordinator": POLICE_PAGES + [("gain", 2)],
    "partner_spoc": [("partner inbox", 3), ("partner request", 4), ("partner draft save", 3),
                     ("partner submit", 1)],
    "partner_user": [("partner inbox", 3), ("partner request", 4), ("partner draft save", 3)],
    "admin": [("dashboard", 1), ("admin users", 2), ("admin agencies", 1)],
}


def print_server_times(log_path: str, offset: int, page_of: dict | None = None,
                       client_times: dict | None = None) -> None:
    """The same pages timed by the server (its request log's duration, from the request's
    arrival in the app to the response): the gap to the client's figures is time in the
    socket queue, in gunicorn, and in this client's own threads. With ``page_of`` (request
    id -> the client's page name) also per page, beside the client's figures."""
    by_route = defaultdict(list)
    by_page = defaultdict(list)
    with open(log_path, errors="replace") as log:
        log.seek(offset)
        for line in log:
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("message") == "request" and entry.get("route") not in (None, "/livez"):
                by_route[f"{entry.get('method')} {entry['route']}"].append(entry["duration_ms"] / 1000)
                page = (page_of or {}).get(entry.get("request_id"))
                if page is not None and entry.get("status", 500) < 500:
                    by_page[page].append(entry["duration_ms"] / 1000)
    if not by_route:
        return
    every = [t for times in by_route.values() for t in times]
    print(f"\nserver-side (request log) {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for route, times in sorted(by_route.items(), key=lambda kv: -len(kv[1])):
        print(f"{route[:50]:50} {len(times):6d} {pct(times, 50):8.1f} {pct(times, 95):8.1f} {pct(times, 99):8.1f}")
    print(f"{'all':50} {len(every):6d} {pct(every, 50):8.1f} {pct(every, 95):8.1f} {pct(every, 99):8.1f}")
    if by_page and client_times:
        print(f"\nper page, server / client  {'n':>6} {'p50 ms':>15} {'p95 ms':>15} {'p99 ms':>15}")
        for page, times in sorted(by_page.items(), key=lambda kv: -len(kv[1])):
            client = client_times.get(page) or [float("nan")]
            cells = " ".join(f"{pct(times, q):6.1f} / {pct(client, q):6.1f}" for q in (50, 95, 99))
            print(f"{page[:26]:26} {len(times):6d} {cells}")


def csrf(html: str) -> str | None:
    match = CSRF_RE.search(html)
    return (match.group(1) or match.group(2)) if match else None


@dataclass
class Stats:
    times: dict = field(default_factory=lambda: defaultdict(list))
    errors: dict = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    statuses: dict = field(default_factory=lambda: defaultdict(int))
    samples: list = field(default_factory=list)
    # X-Request-ID sent with each timed request -> its page name: the server's request log
    # carries the id, so its durations can be read per page beside the client's.
    page_of: dict = field(default_factory=dict)

    def add(self, name: str, seconds: float, ok: bool, status=None, path: str = "", role: str = "") -> None:
        with self.lock:
            self.samples.append((time.time() - seconds, seconds, name, role, path, status, ok))
            if ok:
                self.times[name].append(seconds)
            else:
                self.errors[name] += 1
                self.statuses[(name, status)] += 1


class User:
    def __init__(self, base: str, cred: dict, password: str, stats: Stats, rng: random.Random):
        self.base, self.cred, self.password, self.stats, self.rng = base, cred, password, stats, rng
        self.role = cred["role"]
        self.http = requests.Session()
        self.operations: list[str] = []
        self.requests: list[str] = []
        self.partner_requests: list[str] = []
        self.submitted: set[str] = set()
        self.plan = PLAN[self.role]

    # --- one timed request -------------------------------------------------------------
    def timed(self, name: str, method: str, path: str, ok=(200,), **kwargs) -> requests.Response | None:
        request_id = uuid.uuid4().hex
        self.stats.page_of[request_id] = name
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, allow_redirects=False, timeout=30,
                                         headers={"X-Request-ID": request_id}, **kwargs)
            response.content  # noqa: B018 - the last byte is part of the page's time
        except requests.RequestException as exc:
            self.stats.add(name, time.perf_counter() - started, False, type(exc).__name__)
            return None
        self.stats.add(name, time.perf_counter() - started, response.status_code in ok, response.status_code,
                       path, self.role)
        return response

    def sign_in(self) -> None:
        page = self.timed("sign-in page", "GET", "/sign-in")
        response = self.timed("sign-in (password, argon2id)", "POST", "/sign-in", ok=(302,),
                              data={"email": self.cred["email"], "password": self.password, "csrf_token": csrf(page.text)})
        if response is None or not response.headers.get("Location", "").endswith("/sign-in/security-code"):
            raise RuntimeError(f"password step refused for a {self.role} ({response and response.status_code})")
        page = self.http.get(self.base + "/sign-in/security-code")
        totp = pyotp.TOTP(self.cred["totp_secret"])
        for attempt in range(3):
            response = self.timed("sign-in (security code)", "POST", "/sign-in/security-code", ok=(302,),
                                  data={"code": totp.now(), "csrf_token": csrf(page.text)})
            if response is not None and response.status_code == 302:
                return
            time.sleep(31 - time.time() % 30)  # a code is good once: wait for the next one
        raise RuntimeError(f"security code refused for a {self.role}")

    def discover(self) -> None:
        """Links a person would follow, from the lists they can see (never guessed ids)."""
        if self.role.startswith("partner"):
            html = self.http.get(self.base + "/partner/requests").text
            self.partner_requests = sorted({f"/partner/requests/{n}" for n in re.findall(r"/partner/requests/(\d+)", html)})
            return
        if self.role == "admin":
            return
        html = self.http.get(self.base + "/operations").text
        # Ids, not whole links: a list may render its links escaped.
        self.operations = sorted({f"/operations/{n}" for n in re.findall(r"/operations/(\d+)", html)})[:40]
        found = set(re.findall(r"(?<!partner)/requests/(\d+)", self.http.get(self.base + "/").text))
        for path in self.operations[:8]:
            found |= set(re.findall(r"(?<!partner)/requests/(\d+)", self.http.get(self.base + path).text))
        self.requests = sorted(f"/requests/{n}" for n in found)

    # --- the pages -----------------------------------------------------------------------
    def step(self) -> None:
        names, weights = zip(*self.plan)
        self.visit(self.rng.choices(names, weights)[0])

    def warm_up(self) -> None:
        """Each of the role's pages once, unmeasured (no submission): a server's first
        renders and first statements are not what its users see all day."""
        for name, _weight in self.plan:
            if name != "partner submit":
                self.visit(name)

    def visit(self, name: str) -> None:
        pick = self.rng.choice
        if name == "dashboard":
            # An administrator's home is the accounts page: the redirect is the answer.
            self.timed(name, "GET", "/", ok=(302,) if self.role == "admin" else (200,))
        elif name == "operations list":
            self.timed(name, "GET", "/operations")
        elif name == "operation" and self.operations:
            self.timed(name, "GET", pick(self.operations))
        elif name == "request view" and self.requests:
            self.timed(name, "GET", pick(self.requests))
        elif name == "matches queue":
            self.timed(name, "GET", "/matches")
        elif name == "gain":
            self.timed(name, "GET", "/gain")
        elif name == "admin users":
            self.timed(name, "GET", "/admin/users")
        elif name == "admin agencies":
            self.timed(name, "GET", "/admin/agencies")
        elif name == "partner inbox":
            self.timed(name, "GET", "/partner/requests")
        elif name == "partner request" and self.partner_requests:
            self.view_partner_request(pick(self.partner_requests))
        elif name in ("partner draft save", "partner submit"):
            self.answer(submit=name == "partner submit")
        else:
            self.timed("dashboard", "GET", "/")

    def view_partner_request(self, path: str) -> requests.Response | None:
        """A request whose operation's partner agreement this person has not signed sends
        them to sign it first (a 302 to /agreements/...), which is a served page too."""
        response = self.timed("partner request", "GET", path, ok=(200, 302))
        if response is not None and response.status_code == 302:
            if "/agreements/" not in response.headers.get("Location", ""):
                self.stats.add("partner request", 0, False, "302 " + response.headers.get("Location", "")[:40])
            self.submitted.add(path)  # nothing to answer here until the agreement is signed
        return response

    def answer(self, submit: bool) -> None:
        """Open a request, fill every question it puts to us, save (or submit) the form."""
        open_requests = [p for p in self.partner_requests if p not in self.submitted]
        if not open_requests:
            return
        path = self.rng.choice(open_requests)
        page = self.view_partner_request(path)
        if page is None or page.status_code != 200:
            return
        key, questions = IDEM_RE.search(page.text), sorted(set(OUTCOME_RE.findall(page.text)))
        if not key or not questions:
            self.submitted.add(path)  # answered, withdrawn or not ours to answer: nothing to type
            return
        form = {"csrf_token": csrf(page.text), "idempotency_key": key.group(1),
                "action": "submit" if submit else "save"}
        for qid in questions:
            if self.rng.random() < 0.3:
                form[f"outcome-{qid}"] = "no_trace"
            else:
                form[f"outcome-{qid}"] = "answered"
                form[f"answer-{qid}"] = (f"Load test answer {self.rng.randrange(10**6)}: tenancy records show "
                                         "two adults at the address since March, rent paid in cash.")
        name = "partner submit" if submit else "partner draft save"
        response = self.timed(name, "POST", path + "/answers", ok=(302,), data=form)
        if submit and response is not None and response.status_code == 302:
            self.submitted.add(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def portal_env(args) -> dict:
    """What gunicorn and the job worker share: database, instance folder (keyring), secret
    key and the job queue, so the worker runs what the web processes queue."""
    env = {**os.environ,
           "GAINPORTAL_ENV": args.env,
           "GAINPORTAL_DATABASE_URL": args.database_url,
           "GAINPORTAL_REDIS_URL": args.redis_url,
           "GAINPORTAL_JOBS_NAME": args.jobs_name,
           # Loopback http: a Secure cookie would never come back.
           "GAINPORTAL_SECURE_COOKIES": "false",
           # Every virtual user signs in from 127.0.0.1 within a few seconds.
           "GAINPORTAL_SIGN_IN_RATE_LIMIT": "100000 per minute",
           "GAINPORTAL_SIGN_IN_ACCOUNT_RATE_LIMIT": "100000 per hour",
           "GAINPORTAL_MFA_RATE_LIMIT": "100000 per minute"}
    if args.instance_path:
        env["GAINPORTAL_INSTANCE_PATH"] = str(Path(args.instance_path).resolve())
        # Production settings refuse to make a secret key: use the one the seed's sealed
        # TOTP secrets were made under.
        key_file = Path(args.instance_path) / "secret_key"
        if key_file.exists() and not ({"GAINPORTAL_SECRET_KEY", "GAINPORTAL_SECRET_KEY_FILE"} & set(os.environ)):
            env["GAINPORTAL_SECRET_KEY_FILE"] = str(key_file.resolve())
    return env


def start_gunicorn(args) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**portal_env(args), "GAINPORTAL_BIND": f"127.0.0.1:{port}"}
    if args.workers:
        env["GAINPORTAL_WORKERS"] = str(args.workers)
    if args.threads:
        env["GAINPORTAL_THREADS"] = str(args.threads)
    log = open(args.server_log, "w")
    process = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--config",
                                str(REPO / "config" / "gunicorn.conf.py")],
                               env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    reasons = None
    deadline = time.monotonic() + 180  # workers import the app in parallel on a busy machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited; see {args.server_log}")
        try:
            ready = requests.get(base + "/readyz", timeout=30)
            if ready.status_code == 200:
                return process, base
            reasons = ready.json().get("reasons")
        except (requests.RequestException, ValueError):
            reasons = None
        time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    sys.exit(f"gunicorn not ready after 180 s ({reasons or 'no answer'}); see {args.server_log}")


def start_worker(args) -> subprocess.Popen:
    """`gainportal worker` beside gunicorn, as in production: partner submissions are
    cross-matched here, not in the web processes. Returns once it has built its matching
    index, so that build does not fall inside the measured run."""
    log = open(args.worker_log, "w")
    process = subprocess.Popen([str(Path(sys.executable).with_name("gainportal")), "worker", "--no-periodic"],
                               env=portal_env(args), cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the job worker exited; see {args.worker_log}")
        text = Path(args.worker_log).read_text(errors="replace")
        built = re.search(r"Cross-matching index of ([\d,]+) nominals built in ([\d.]+) s of CPU", text)
        if built or "could not build the cross-matching index" in text:
            print(f"job worker ready: index of {built.group(1)} nominals, {built.group(2)} s CPU" if built
                  else f"job worker ready without an index; see {args.worker_log}")
            return process
        time.sleep(0.3)
    stop_process(process)
    sys.exit(f"the job worker did not build its index in 300 s; see {args.worker_log}")


def stop_process(process: subprocess.Popen, timeout: float = 40) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def drop_queue(args) -> None:
    """This run's queue keys in Redis (jobs left waiting by --no-worker, or a stopped worker)."""
    import redis

    try:
        client = redis.Redis.from_url(args.redis_url, socket_connect_timeout=2)
        for key in client.scan_iter(f"*{args.jobs_name}*"):
            client.delete(key)
    except redis.RedisError as exc:
        print(f"could not remove this run's job queue from {args.redis_url}: {type(exc).__name__}")


def worker_jobs(log_path: str) -> list[float]:
    """Seconds each cross-match job took, from the worker's log (huey's own lines)."""
    text = Path(log_path).read_text(errors="replace")
    return [float(s) for s in re.findall(r"match_response: \S+ executed in ([\d.]+)s", text)]


def hammer_hello(base: str, threads: int, seconds: float) -> tuple[int, float, list[float]]:
    """Closed loop: each thread fetches /livez again as soon as the last one came back."""
    counts, times, stop = [0] * threads, [[] for _ in range(threads)], time.monotonic() + seconds

    def run(i: int) -> None:
        http = requests.Session()
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            if http.get(base + "/livez", timeout=10).status_code == 200:
                counts[i] += 1
                times[i].append(time.perf_counter() - t0)

    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    return sum(counts), elapsed, [t for ts in times for t in ts]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="database to serve (a throwaway copy of the seeded one)")
    parser.add_argument("--instance-path", help="instance folder with the keyring the seed used")
    parser.add_argument("--credentials", required=True, help="users file written by gainportal seed-scale")
    parser.add_argument("--url", help="use an already running server instead of starting gunicorn")
    parser.add_argument("--env", default="production",
                        help="GAINPORTAL_ENV for the server (default production: no template reloading, full argon2)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7",
                        help="GAINPORTAL_REDIS_URL for gunicorn and the job worker (job queue, rate limits)")
    parser.add_argument("--no-worker", action="store_true",
                        help="start no job worker: submissions are queued and wait (matching then costs nothing)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the config's, 2 per core)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default: the config's)")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--duration", type=float, default=60, help="seconds of page load")
    parser.add_argument("--hello-seconds", type=float, default=10)
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds a user pauses between pages (0: closed loop, measures capacity)")
    parser.add_argument("--no-submit", action="store_true",
                        help="partners save drafts but never submit")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="measure from the server's very first pages (by default each user first "
                             "visits each of its pages once, unmeasured)")
    parser.add_argument("--server-log", default="bench/out/load-server.log")
    parser.add_argument("--worker-log", default="bench/out/load-worker.log")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--samples", help="write every timed page (start, seconds, page, role, path, status) "
                                          "here as JSON lines")
    args = parser.parse_args()
    if not args.url and not args.database_url:
        parser.error("give --database-url (to start gunicorn) or --url")
    Path(args.server_log).parent.mkdir(parents=True, exist_ok=True)

    creds = json.loads(Path(args.credentials).read_text())
    by_role = defaultdict(list)
    for cred in creds["users"]:
        by_role[cred["role"]].append(cred)
    # A queue of this run's own, so nothing left from an earlier run is picked up.
    args.jobs_name = f"gainportal-bench-{os.getpid()}-{int(time.time())}"
    process = worker = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        if not args.no_worker:
            worker = start_worker(args)
        try:
            process, base = start_gunicorn(args)
        except BaseException:
            if worker is not None:
                stop_process(worker)
            raise
    try:
        rng = random.Random(args.seed)
        stats = Stats()
        chosen, used = [], defaultdict(int)
        for i in range(args.users):
            role = ROLE_MIX[i % len(ROLE_MIX)]
            if not by_role[role]:
                role = rng.choice([r for r in by_role if by_role[r]])
            chosen.append(by_role[role][used[role] % len(by_role[role])])
            used[role] += 1
        users = [User(base, cred, creds["password"], stats, random.Random(args.seed * 1000 + i))
                 for i, cred in enumerate(chosen)]
        if args.no_submit:
            for u in users:
                u.plan = [(name, w) for name, w in PLAN[u.role] if name != "partner submit"]
        t0 = time.monotonic()
        errors = []

        def prepare(user: User) -> None:
            try:
                user.sign_in()
                user.discover()
            except Exception as exc:  # reported, not raised: one refused account must not hide the rest
                errors.append(f"{user.role}: {exc}")

        prep = [threading.Thread(target=prepare, args=(u,)) for u in users]
        for t in prep:
            t.start()
        for t in prep:
            t.join()
        ready = [u for u in users if u.http.cookies]
        print(f"signed in {len(users) - len(errors)} of {len(users)} users in {time.monotonic() - t0:.1f} s "
              f"({', '.join(sorted(f'{r} {n}' for r, n in used.items()))})")
        for e in errors:
            print("  not signed in:", e)
        users = [u for u in users if not any(e.startswith(u.role + ":") for e in errors)] or ready
        print("discovered: " + ", ".join(f"{u.role} {len(u.operations)} ops/{len(u.requests)} requests/"
                                         f"{len(u.partner_requests)} partner requests" for u in users[:6]) + " ...")

        if args.warm_up:
            warm_stats = Stats()
            for u in users:
                u.stats = warm_stats
            warmers = [threading.Thread(target=User.warm_up, args=(u,)) for u in users]
            for t in warmers:
                t.start()
            for t in warmers:
                t.join()
            print(f"warm-up: each user's pages once ({sum(len(t) for t in warm_stats.times.values())} pages, "
                  f"not counted)")

        hello_count, hello_elapsed, hello_times = hammer_hello(base, args.users, args.hello_seconds)
        hello_rps = hello_count / hello_elapsed

        page_stats = Stats()
        for u in users:
            u.stats = page_stats
        log_offset = Path(args.server_log).stat().st_size if not args.url else None
        stop = time.monotonic() + args.duration

        def drive(user: User) -> None:
            if args.think:
                # Paced users start out of step, as people do: sixteen first clicks in the same
                # 30 ms (a start line of the bench's own making) queued 4 deep on every worker
                # and made the run's p95 out of the first second alone.
                time.sleep(user.rng.uniform(0, args.think))
            while time.monotonic() < stop:
                user.step()
                if args.think:
                    time.sleep(user.rng.uniform(0.5, 1.5) * args.think)

        started = time.monotonic()
        drivers = [threading.Thread(target=drive, args=(u,)) for u in users]
        for t in drivers:
            t.start()
        for t in drivers:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        if process is not None:
            stop_process(process)
        if worker is not None:
            stop_process(worker)
        if not args.url:
            drop_queue(args)

    rows = []
    all_times = []
    for name in sorted(page_stats.times, key=lambda n: -len(page_stats.times[n])):
        times = page_stats.times[name]
        all_times += times
        rows.append({"page": name, "n": len(times), "errors": page_stats.errors.get(name, 0),
                     "p50_ms": pct(times, 50), "p95_ms": pct(times, 95), "p99_ms": pct(times, 99),
                     "rps": len(times) / elapsed})
    for name, count in page_stats.errors.items():
        if name not in page_stats.times:
            rows.append({"page": name, "n": 0, "errors": count, "p50_ms": float("nan"), "p95_ms": float("nan"),
                         "p99_ms": float("nan"), "rps": 0.0})
    total_rps = len(all_times) / elapsed
    print(f"\n{len(users)} users, {elapsed:.0f} s of pages, think time {args.think:g} s"
          f"{', no submissions' if args.no_submit else ''}; server {base}")
    print(f"{'page':30} {'n':>6} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}")
    for r in rows:
        flag = "  <- p95 over 50 ms" if r["p95_ms"] > 50 else ""
        print(f"{r['page']:30} {r['n']:6d} {r['errors']:4d} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['p99_ms']:8.1f} "
              f"{r['rps']:7.1f}{flag}")
    print(f"{'all pages':30} {len(all_times):6d} {sum(page_stats.errors.values()):4d} {pct(all_times, 50):8.1f} "
          f"{pct(all_times, 95):8.1f} {pct(all_times, 99):8.1f} {total_rps:7.1f}")
    print(f"{'hello (/livez)':30} {hello_count:6d} {0:4d} {pct(hello_times, 50):8.1f} {pct(hello_times, 95):8.1f} "
          f"{pct(hello_times, 99):8.1f} {hello_rps:7.1f}")
    if page_stats.statuses:
        print("errors: " + ", ".join(f"{name} {status} x{n}" for (name, status), n in sorted(
            page_stats.statuses.items(), key=lambda kv: -kv[1])))
    print(f"\npages / hello throughput: {total_rps:.1f} / {hello_rps:.1f} = {total_rps / hello_rps:.3f}")
    if log_offset is not None:
        print_server_times(args.server_log, log_offset, page_stats.page_of, page_stats.times)
    if args.samples:
        with open(args.samples, "w") as out:
            for start, seconds, name, role, path, status, ok in sorted(page_stats.samples):
                out.write(json.dumps({"start": round(start, 4), "ms": round(seconds * 1000, 1), "page": name,
                                      "role": role, "path": path, "status": status, "ok": ok}) + "\n")
    if worker is not None:
        matched = worker_jobs(args.worker_log)
        submitted = len(page_stats.times.get("partner submit", []))
        print(f"job worker: {len(matched)} submissions cross-matched (of {submitted} submitted)"
              + (f", job p50 {pct(matched, 50):.1f} ms, p95 {pct(matched, 95):.1f} ms" if matched else ""))
    sign_in = stats.times.get("sign-in (password, argon2id)", [])
    if sign_in:
        print(f"sign-in password step (argon2id), while {len(users)} users signed in at once: "
              f"median {statistics.median(sign_in) * 1000:.0f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps({"users": len(users), "seconds": elapsed, "think": args.think,
                                               "pages": rows, "all_rps": total_rps, "hello_rps": hello_rps,
                                               "ratio": total_rps / hello_rps}, indent=1))


if __name__ == "__main__":
    main()
