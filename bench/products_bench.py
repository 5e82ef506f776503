"""Build time of the intelligence products for an operation with 50 nominals and 500
confirmed partner answers (50 requests x 10 questions), plus family links, associations and
rivalries among the nominals (families of five: a parent of two, siblings, a partner, an
associate; a rival in the next family; a grandparent on another operation for every family)
and rival and linked OCGs, on a fresh migrated SQLite database (or PostgreSQL with
--database-url). Target: each product under 1 s.

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
    from gainportal.models import Classification, Nominal, NominalLink, NominalRole
    from gainportal.models.association import OperationLinkKind
    from gainportal.services import associations, indoctrination, nominal_register, operations

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
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        lro = s.get(User, cycle.lro.id)
        others = []
        for k in range(3):
            other = operations.create_operation(s, name=f"Operation Other {k}", agency=op.owning_agency, lro=lro,
                                                tier=3, ocgm_band="2B", p_band=None,
                                                classification=Classification.OFFICIAL_SENSITIVE, summary="x", by=lro)
            indoctrination.sign(s, other, lro, typed_name=lro.full_name, confirmed=True)
            others.append(other)
        associations.record_ocg_link(s, op, others[0], OperationLinkKind.RIVAL, by=lro, note="Feud")
        associations.record_ocg_link(s, op, others[1], OperationLinkKind.LINKED, by=lro, note="Supplier")
        ids = made["nominals"]
        nominals = {i: s.get(Nominal, i) for i in ids}
        links = 0

        def link(a, b, kind):
            nonlocal links
            associations.record_link(s, nominals[a], nominals[b], kind, by=lro, rationale="bench", operation=op)
            links += 1

        for f in range(0, len(ids) - 4, 5):
            a, b, c, d, e = ids[f:f + 5]
            grand = nominal_register.save(s, Nominal(reference=f"BENCH-G{f}"), {"forenames": "Gran", "surname": f"F{f}"},
                                          None)
            s.add(NominalLink(operation_id=others[2].id, nominal_id=grand.id, role=NominalRole.PERIPHERAL))
            s.flush()
            nominals[grand.id] = grand
            link(grand.id, a, "parent")
            link(a, b, "parent")
            link(a, c, "parent")
            link(b, c, "sibling")
            link(a, d, "partner")
            link(a, e, "associate")
            if f + 5 < len(ids):
                link(e, ids[f + 5], "rival")
        s.commit()
    print(f"seeded {len(made['nominals'])} nominals (+1 TOP SECRET), {len(made['answers'])} confirmed answers, "
          f"{links} family links and associations, 2 OCG links "
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
            ("family_tree", lambda: products.family_tree(s, op, lro)),
        ):
            s.expire_all()  # no help from the identity map between runs
            results.append((f"service {name}", best(lambda: (s.expire_all(), fn()))))
        chart = products.chart_data(s, op, lro)
        print(f"chart: {len(chart['nodes'])} nodes, {len(chart['edges'])} edges")
        tree = products.family_tree(s, op, lro)
        print(f"family tree: {len(tree.nodes)} people, {len(tree.edges)} links, {tree.generations} generations")

    client = app.test_client()
    sign_in(client, cycle.lro)
    base = f"/operations/{cycle.operation_id}/products"
    for path in ("/ocg-on-a-page", "/association-chart", "/association-chart.json", "/performance", "/tasking-list",
                 "/family-tree", "links"):
        def get(path=path):
            response = client.get(base + path if path.startswith("/") else f"/operations/{cycle.operation_id}/{path}")
            assert response.status_code == 200, (path, response.status_code)
        results.append((f"page {path if path.startswith('/') else '/' + path}", best(get)))

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
