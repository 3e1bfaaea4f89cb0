"""schemathesis against the real /api/v1 with its own OpenAPI document (a bounded number of examples per
operation, from a fixed seed): no server error, every status documented, every body as its schema
says. The ledger is the console tests' small office; the token is an admin's write token, so the
moves really happen (and most later ones are refused with a documented 409)."""

from __future__ import annotations

import schemathesis
from helpers.console import make_world
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from agents.console import accounts

CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip


def test_api_conforms_to_its_document(tmp_path):
    world = make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        with Session(world.engine) as session, session.begin():
            admin = accounts.find_user(session, "admin")
            token = accounts.new_token(session, admin, "write", world.clock())[0]
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", world.app)
        headers = {"Authorization": f"Bearer {token}"}
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 25
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
            )
            def check(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            check()
    finally:
        world.close()
