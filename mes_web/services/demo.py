"""Demo data for `make run`: work centers, today's and yesterday's batches, marked units."""

import random
import string
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from mes_web.clock import plant_today, plant_tz
from mes_web.extensions import db
from mes_web.integrations.gs1 import gtin_check_digit
from mes_web.models import Batch, Role, User
from mes_web.services.access import user_create
from mes_web.services.aggregation import products_aggregate
from mes_web.services.batches import batch_close, batches_upsert
from mes_web.services.products import products_add_from_1c
from mes_web.services.transaction import Actor

DEMO_ACTOR = Actor(label="cli:seed-demo", role=Role.ADMIN)
DEMO_PASSWORD = "demo"
SAMPLE_CODES = Path(__file__).with_name("demo_marking_codes.txt")
_WORK_CENTERS = [
    ("LINE-1", "Линия розлива №1", "Молоко 3,2% 1 л", "0460123456789"),
    ("LINE-2", "Линия фасовки №2", "Кефир 2,5% 0,9 л", "0460123456790"),
    ("RC-001", "Цех №1", "Сметана 20% 0,3 кг", "0460123456791"),
]
_SERIAL_ALPHABET = string.ascii_letters + string.digits + "!\"%&'*+-./_,:;=<>?"


def marking_code(gtin13: str, rng: random.Random) -> str:
    """A Честный ЗНАК identification code: 01 + GTIN-14 + 21 + 13-character serial."""
    serial = "".join(rng.choice(_SERIAL_ALPHABET) for _ in range(13))
    return f"01{gtin13}{gtin_check_digit(gtin13)}21{serial}"


def _shift_task(number: int, day, wc, shift_name: str, night: bool) -> dict:
    start = datetime.combine(day, time(20 if night else 8), plant_tz())
    identifier, name, nomenclature, _ = wc
    return {
        "СтатусЗакрытия": False,
        "ПредставлениеЗаданияНаСмену": f"Задание на смену {number}",
        "РабочийЦентр": name,
        "Смена": shift_name,
        "Бригада": f"Бригада №{number % 5 + 1}",
        "НомерПартии": number,
        "ДатаПартии": day.isoformat(),
        "Номенклатура": nomenclature,
        "КодЕКН": f"EKN-{number}",
        "ИдентификаторРЦ": identifier,
        "ДатаВремяНачалаСмены": start.isoformat(),
        "ДатаВремяОкончанияСмены": (start + timedelta(hours=12)).isoformat(),
    }


def demo_seed() -> bool:
    """Load the demo plant once; False when there was data already."""
    if db.session.scalar(select(Batch.id).limit(1)) is not None:
        return False
    rng, today = random.Random(1), plant_today()
    tasks = []
    for offset, day in enumerate((today - timedelta(days=1), today)):
        for index, wc in enumerate(_WORK_CENTERS):
            night = index == 2
            tasks.append(_shift_task(1000 + offset * 10 + index, day, wc, "2 смена" if night else "1 смена", night))
    batches = [batch for batch, _ in batches_upsert(payload=tasks, actor=DEMO_ACTOR)]
    for position, (batch, wc) in enumerate(zip(batches, _WORK_CENTERS * 2, strict=True)):
        codes = [marking_code(wc[3], rng) for _ in range(rng.randint(60, 180))]
        rows = [
            {"УникальныйКодПродукта": c, "НомерПартии": batch.batch_number, "ДатаПартии": batch.batch_date.isoformat()}
            for c in codes
        ]
        products_add_from_1c(payload=rows, actor=DEMO_ACTOR)
        done = len(codes) if batch.batch_date < today else rng.randint(0, len(codes) * 3 // 4)
        if done:
            products_aggregate(batch_id=batch.id, unique_codes=codes[:done], actor=DEMO_ACTOR)
        if batch.batch_date < today and position < 2:
            batch_close(batch_id=batch.id, actor=DEMO_ACTOR)
    # The codes of the shared DataMatrix samples, so any sample scan works at today's first station.
    first_today = batches[len(_WORK_CENTERS)]
    sample_rows = [
        {"УникальныйКодПродукта": c, "НомерПартии": first_today.batch_number, "ДатаПартии": today.isoformat()}
        for c in SAMPLE_CODES.read_text(encoding="utf-8").splitlines()
    ]
    products_add_from_1c(payload=sample_rows, actor=DEMO_ACTOR)
    return True


def demo_users_ensure() -> None:
    """Make sure operator, supervisor and admin can sign in with the demo password."""
    for role in Role:
        if db.session.scalar(select(User.id).where(User.username == role.value)) is None:
            user_create(username=role.value, password=DEMO_PASSWORD, role=role.value)
