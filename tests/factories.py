"""Shift tasks and codes as 1C sends them."""

import itertools

_numbers = itertools.count(50_000)


def shift_task(**overrides) -> dict:
    """A valid 1C shift task with Russian keys; override any key."""
    task = {
        "СтатусЗакрытия": False,
        "ПредставлениеЗаданияНаСмену": "Задание на смену 2345",
        "РабочийЦентр": "Линия розлива №1",
        "Смена": "1",
        "Бригада": "Бригада №4 ХПС",
        "НомерПартии": next(_numbers),
        "ДатаПартии": "2024-01-30",
        "Номенклатура": "Молоко 3,2% 1 л",
        "КодЕКН": "456678",
        "ИдентификаторРЦ": "A",
        "ДатаВремяНачалаСмены": "2024-01-30T08:00:00+03:00",
        "ДатаВремяОкончанияСмены": "2024-01-30T20:00:00+03:00",
    }
    return task | overrides


def create_batch(client, headers, **overrides) -> dict:
    response = client.post("/api/v1/batches", json=shift_task(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()[0]


def add_codes(client, headers, batch: dict, codes: list[str]) -> None:
    for code in codes:
        response = client.post("/api/v1/products", json={"unique_code": code, "batch_id": batch["id"]}, headers=headers)
        assert response.status_code == 201, response.get_json()
