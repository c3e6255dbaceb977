"""Two stations scan the same code at the same moment: the database lets exactly one win."""

import threading

from sqlalchemy import func, select

from mes_web.extensions import db
from mes_web.models import Event, Role
from mes_web.services.access import token_create
from tests.factories import add_codes, create_batch

STATIONS = 4
CODES = 25


def test_exactly_one_of_simultaneous_scans_wins(pg_committed):
    app = pg_committed
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token_create(name='race', role=Role.SUPERVISOR.value)}"}
    batch = create_batch(client, headers)
    codes = [f"RACE-{n}" for n in range(CODES)]
    add_codes(client, headers, batch, codes)

    answers: dict[str, list] = {code: [] for code in codes}
    barrier = threading.Barrier(STATIONS)

    def station():
        own_client = app.test_client()
        for code in codes:
            barrier.wait()
            response = own_client.post(
                f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": code}, headers=headers
            )
            answers[code].append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=station) for _ in range(STATIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    for code, results in answers.items():
        statuses = sorted(status for status, _ in results)
        assert statuses == [200] + [400] * (STATIONS - 1), (code, results)
        winner = next(body for status, body in results if status == 200)
        for status, body in results:
            if status == 400:
                assert body["detail"] == f"Данная продукция уже была использована в {winner['aggregated_at']}"
    events = db.session.scalar(select(func.count(Event.id)).where(Event.event_type == "product_aggregated"))
    assert events == CODES
