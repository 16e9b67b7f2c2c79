"""schemathesis against the OpenAPI schema of ``critmat serve``: for generated requests to every operation, no
5xx and every response (status, content type, body) matches what the schema documents. Bounded
(``max_examples`` per operation) so CI stays fast."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from critmat.web.app import create_app  # noqa: E402

MAX_EXAMPLES = 6


@pytest.fixture(scope="module")
def schema(warehouse_db: Path):
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(warehouse_db))


def test_every_operation_conforms(schema) -> None:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) >= 20
    failures = []
    for op in ops:
        strategy = op.as_strategy()

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            try:
                case.call_and_validate(checks=checks)
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
                failures.append(f"{op.label}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
                raise

        from hypothesis import given

        try:
            given(strategy)(run)()
        except Exception:  # noqa: BLE001 - recorded above
            pass
    assert not failures, "\n".join(failures)
