"""ConnectorContract: the test suite every connector inherits (STYLE rule 8).

A connector's test module starts as a subclass naming its connector and sandbox and filling a
few hooks; it then gets, for free, the tests of every promise a connector makes: options
documented and secrets marked, every page read, the cursor resuming past a change, 429 and 503
waited out, one 503 costing exactly the configured attempts, create-then-find by natural key,
decode(encode(x)) keeping the fields the connector claims, vendor errors as RecordError with the
vendor's message, and no secret in captured logs.

The connector's test class starts its emulator through the :meth:`ConnectorContract.harness`
hook — a sandbox served over real HTTP on loopback, a SOAP service, an SFTP server — fresh for
each test. Production code never depends on an emulator: the harness is the test's, and anything
that satisfies :class:`Harness` (a URL, fault injection, a call count, the emulator's state) will do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol

import pytest
import structlog

from tradewind.connectors.base import ConnectionOptions, Connector, NativeRecord, Resource, SecretRef
from tradewind.connectors.pacing import forget_budgets
from tradewind.connectors.retry import RetryPolicy
from tradewind.errors import RecordError, TransientError
from tradewind.model import Entity

FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, max_rate_limit_wait=30)


class SelfRefs:
    """Resolves references through the connector's own resources' ``find`` (tests only)."""

    def __init__(self, connection: Connector) -> None:
        self.connection = connection

    def __call__(self, entity: str, keys: Mapping[str, str | None], payload: Entity | None = None) -> str:
        for name, declared in self.connection.resources.items():
            if declared.entity.kind != entity:
                continue
            resource = self.connection.resource(name)  # bound, as the engine uses it
            for key, value in keys.items():
                if value is None:
                    continue
                found = resource.find(self.connection.client, {key: value})
                if isinstance(found, NativeRecord):
                    return found.id
        raise RecordError(f"no {entity} with {dict(keys)} in the sandbox")


class Harness(Protocol):
    """A running emulator of the connector's system, whatever its transport."""

    url: str
    """Where the connector reaches it (``http://127.0.0.1:…``, ``sftp://…``)."""
    sandbox: Any
    """The emulator's state, for the ``change`` hook."""

    def fault(self, **fault: Any) -> None:
        """Inject a fault (``status``, ``times``, ``retry_after``, ``delay``, ``after``…)."""

    def calls(self) -> int:
        """Vendor calls answered so far."""


class ConnectorContract:
    """Subclass me; set the class attributes and implement the hooks marked *hook*."""

    connector: ClassVar[type[Connector]]
    environ: ClassVar[dict[str, str]] = {}
    expected_counts: ClassVar[dict[str, int]] = {}
    roundtrip_fields: ClassVar[dict[str, list[str]]] = {}
    rate_limited: ClassVar[bool] = True
    """False where the transport has no rate limit to wait out (SFTP knows no 429 or Retry-After)."""
    finds_what_it_creates: ClassVar[bool] = True
    """False for a target without look-ups: a file drop writes whole files and finds nothing."""

    # -- hooks -------------------------------------------------------------------------------

    def harness(self) -> AbstractContextManager[Harness]:
        """*hook*: start the emulator seeded with :meth:`seed` (e.g. ``Served(create_app(seed=...))``)."""
        raise AssertionError("define harness() in the connector's test class")

    def options(self, base_url: str) -> ConnectionOptions:
        """*hook*: options pointing the connector at the sandbox on ``base_url``."""
        raise AssertionError("define options() in the connector's test class")

    def seed(self) -> dict[str, Any]:
        """*hook*: the sandbox seed document; ``expected_counts`` must match it."""
        return {}

    def samples(self) -> dict[str, Entity]:
        """*hook*: per creatable resource, a canonical entity to create (dependencies seeded)."""
        return {}

    def change(self, sandbox_state: Any, resource: str) -> str:
        """*hook*: change one record of ``resource`` in the sandbox; return its native id."""
        raise AssertionError("define change() in the connector's test class")

    def invalid(self, resource: str) -> dict[str, Any] | None:
        """*hook*: a native payload the vendor refuses on create (None to skip)."""
        return None

    # -- fixtures ----------------------------------------------------------------------------

    @pytest.fixture
    def served(self) -> Iterator[Harness]:
        forget_budgets()
        with self.harness() as served:
            yield served

    @pytest.fixture
    def connection(self, served: Harness) -> Iterator[Connector]:
        instance = self.connector(self.options(served.url), environ=self.environ, retry=FAST_RETRY)
        yield instance
        instance.close()

    def readable(self) -> list[Resource[Any]]:
        return [r for r in self.connector.resources.values() if "read" in r.can]

    def read_all(self, connection: Connector, resource: Resource[Any], since: str | None = None) -> tuple[
            list[NativeRecord], str | None]:
        records: list[NativeRecord] = []
        cursor: str | None = None
        resource = connection.resource(resource.name)  # bound, as the engine reads it
        for page in resource.pages(connection.client, since):
            records.extend(page.records)
            cursor = page.cursor or cursor
        return records, cursor

    @staticmethod
    def calls(served: Harness) -> int:
        return served.calls()

    @staticmethod
    def fault(served: Harness, **fault: Any) -> None:
        served.fault(**fault)

    # -- the contract ------------------------------------------------------------------------

    def test_options_document_themselves(self) -> None:
        for name, field in self.connector.Options.model_fields.items():
            assert field.description, f"option {name!r} of {self.connector.name} has no description"
        assert self.connector.label and self.connector.name

    def test_secrets_are_references(self) -> None:
        for name in self.connector.Options.secret_fields():
            with pytest.raises(ValueError):
                SecretRef("plain-text-secret")
            assert name in self.connector.Options.model_fields

    def test_resources_are_declared(self) -> None:
        assert self.connector.resources, "a connector declares at least one resource"
        for resource in self.connector.resources.values():
            for key in resource.natural_keys:
                assert key in resource.entity.model_fields, f"{resource.name}: natural key {key!r} is no field"
            if resource.can & {"create", "update"}:
                assert resource.encode is not None, f"{resource.name} writes but has no encode"

    def test_reads_every_page(self, connection: Connector) -> None:
        for resource in self.readable():
            records, _ = self.read_all(connection, resource)
            expected = self.expected_counts.get(resource.name)
            if expected is not None:
                assert expected == len(records), resource.name
            assert len({r.id for r in records}) == len(records), f"{resource.name} yielded a record twice"
            for record in records:
                connection.resource(resource.name).decode(record.data)

    def test_cursor_resumes_after_a_change(self, connection: Connector, served: Harness) -> None:
        for resource in self.readable():
            if resource.cursor is None:
                continue
            everything, cursor = self.read_all(connection, resource)
            assert cursor is not None, f"{resource.name} gave no cursor to resume from"
            changed = self.change(served.sandbox, resource.name)
            later, _ = self.read_all(connection, resource, cursor)
            assert changed in {r.id for r in later}, f"{resource.name} missed a change after its cursor"
            assert len(later) < len(everything) or len(everything) <= 1

    def test_rate_limit_and_outage_are_waited_out(self, connection: Connector, served: Harness) -> None:
        if not self.rate_limited:
            pytest.skip(f"{self.connector.name} has no rate limit to wait out (outages: the test below)")
        resource = self.readable()[0]
        self.fault(served, status=429, times=1, retry_after=1)
        self.fault(served, status=503, times=1)
        records, _ = self.read_all(connection, resource)
        assert records

    def test_one_outage_costs_the_configured_attempts(self, connection: Connector, served: Harness) -> None:
        resource = connection.resource(self.readable()[0].name)
        next(iter(resource.pages(connection.client, None)))  # warm up (tokens)
        before = self.calls(served)
        self.fault(served, status=503, times=50)
        with pytest.raises(TransientError):
            next(iter(resource.pages(connection.client, None)))
        assert FAST_RETRY.attempts == self.calls(served) - before

    def test_create_then_find_by_natural_key(self, connection: Connector) -> None:
        if not self.finds_what_it_creates:
            pytest.skip(f"{self.connector.name} holds no look-up of what it writes")
        for name, entity in self.samples().items():
            resource = connection.resource(name)
            assert resource.encode is not None
            native = resource.encode(entity, SelfRefs(connection))
            created = resource.create(connection.client, native)
            keys = resource.natural_keys_of(entity)
            found = resource.find(connection.client, keys)
            assert isinstance(found, NativeRecord), f"{name}: created record not found alone by {keys}: {found}"
            assert [found] == resource.find_many(connection.client, [keys])
            assert created.id == found.id
            decoded = resource.decode(found.data)
            for field in self.roundtrip_fields.get(name, []):
                assert getattr(entity, field) == getattr(decoded, field), f"{name}.{field} lost in the round trip"

    def test_vendor_error_is_a_record_error(self, connection: Connector) -> None:
        for name in self.samples():
            payload = self.invalid(name)
            if payload is None:
                continue
            with pytest.raises(RecordError) as caught:
                connection.resource(name).create(connection.client, payload)
            assert caught.value.message.strip()

    def test_no_secret_in_logs(self, connection: Connector, caplog: pytest.LogCaptureFixture) -> None:
        secrets = [v for v in self.environ.values() if len(v) >= 4]
        caplog.set_level(logging.DEBUG)
        with structlog.testing.capture_logs() as events:
            for resource in self.readable():
                self.read_all(connection, resource)
        text = repr(events) + caplog.text + repr(connection.options)
        for secret in secrets:
            assert secret not in text
