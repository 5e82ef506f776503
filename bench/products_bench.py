"""Build time of the intelligence products for an operation with 50 nominals and 500
confirmed partner answers (50 requests x 10 questions), on a fresh migrated SQLite database
(or PostgreSQL with --database-url). Target: each product under 1 s.

Run: .venv/bin/python bench/products_bench.py [--nominals 50] [--requests 50] [--questions 10]
                                              [--database-url postgresql+psycopg://...]

Two figures per product: the service build alone (best of 5, in a request context) and the
whole page through the test client (best of 5: permission checks, unsealing, template).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGET_S = 1.0


def best(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nominals", type=int, default=50)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from gainportal import create_app
    from gainportal.db import db_session
    from gainportal.migrate import upgrade
    from gainportal.models import Operation, User
    from gainportal.services import answer_matching, products
    from gainportal.services.dates import today
    from gainportal.settings import load_settings
    from tests.conftest import TEST_SECRET_KEY, Factory, sign_in
    from tests.cycle_factories import Cycle
    from tests.products_factories import seed

    tmp = Path(tempfile.mkdtemp(prefix="products-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    settings = load_settings("test", database_url=url, instance_path=tmp / "instance", secret_key=TEST_SECRET_KEY)
    app = create_app(settings)
    app.config["SERVER_NAME"] = "localhost"
    answer_matching.forget()
    make = Factory(app)
    start = time.perf_counter()
    cycle = Cycle(app, make)
    made = seed(app, cycle, nominals=args.nominals, requests=args.requests, questions=args.questions)
    print(f"seeded {len(made['nominals'])} nominals (+1 TOP SECRET), {len(made['answers'])} confirmed answers "
          f"in {time.perf_counter() - start:.1f} s on {url.split(':')[0]}")

    results = []
    with app.test_request_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        lro = s.get(User, cycle.lro.id)
        for name, fn in (
            ("ocg_on_a_page", lambda: products.ocg_on_a_page(s, op, lro)),
            ("chart_data", lambda: products.chart_data(s, op, lro)),
            ("performance", lambda: products.performance(s, op, lro, today())),
            ("tasking_rows", lambda: products.tasking_rows(s, op, lro, today())),
        ):
            s.expire_all()  # no help from the identity map between runs
            results.append((f"service {name}", best(lambda: (s.expire_all(), fn()))))
        chart = products.chart_data(s, op, lro)
        print(f"chart: {len(chart['nodes'])} nodes, {len(chart['edges'])} edges")

    client = app.test_client()
    sign_in(client, cycle.lro)
    base = f"/operations/{cycle.operation_id}/products"
    for path in ("/ocg-on-a-page", "/association-chart", "/association-chart.json", "/performance", "/tasking-list"):
        def get(path=path):
            response = client.get(base + path)
            assert response.status_code == 200, (path, response.status_code)
        results.append((f"page {path}", best(get)))

    width = max(len(n) for n, _ in results)
    worst = 0.0
    for name, seconds in results:
        worst = max(worst, seconds)
        print(f"{name:<{width}}  {seconds * 1000:8.1f} ms  {'ok' if seconds < TARGET_S else 'OVER 1 s'}")
    print(f"slowest {worst * 1000:.1f} ms (target < {TARGET_S * 1000:.0f} ms)")
    app.extensions["gainportal_db"].engine.dispose()
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
