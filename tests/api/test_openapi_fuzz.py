"""schemathesis against /api/v1/openapi.json: no 5xx and no answer the document does not describe."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mes_web.api.openapi import DOCUMENT
from mes_web.models import Role
from mes_web.services.access import token_create
from mes_web.services.batches import batches_upsert
from mes_web.services.products import products_add_from_1c
from mes_web.services.transaction import SYSTEM
from tests.factories import shift_task

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _seed() -> None:
    batches_upsert(payload=[shift_task(НомерПартии=n, ДатаПартии="2024-01-30") for n in (1, 2, 3)], actor=SYSTEM)
    codes = [{"УникальныйКодПродукта": f"FUZZ-{n}", "НомерПартии": 1, "ДатаПартии": "2024-01-30"} for n in range(5)]
    products_add_from_1c(payload=codes, actor=SYSTEM)


def _cases():
    """Every operation with valid input, and those that take input with invalid input too."""
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            yield pytest.param(label, GenerationMode.POSITIVE, id=f"{label} valid")
            if operation.get("parameters") or operation.get("requestBody"):
                yield pytest.param(label, GenerationMode.NEGATIVE, id=f"{label} invalid")


@pytest.mark.fuzz
@pytest.mark.parametrize(("label", "mode"), list(_cases()))
def test_api_matches_its_document(pg, label, mode):
    _seed()
    headers = {"Authorization": f"Bearer {token_create(name='fuzz', role=Role.ADMIN.value)}"}
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", pg)[label.split(" ", 1)[1]][
        label.split(" ", 1)[0]
    ]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
