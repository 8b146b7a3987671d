"""The project file: every problem reported at once, each with file:line:column and a hint.

Two tiny fake connectors (an "ERP" and a "shop", over in-memory lists) stand in for real ones, so
these tests pin the loader, not any vendor. They are registered per test, never globally.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

from tradewind import connectors as registry
from tradewind.connectors.base import (
    ConnectionOptions,
    Connector,
    NativeRecord,
    Page,
    Resource,
    SecretRef,
    SyncToken,
    UpdatedSince,
)
from tradewind.engine.project import (
    Problem,
    ProjectInvalid,
    config_sources,
    is_stable_field,
    load_project,
    parse_interval,
    validate,
)
from tradewind.engine.reference import project_reference_markdown
from tradewind.errors import ConfigError
from tradewind.model import Customer, Entity, Order, Product

# --- fakes -------------------------------------------------------------------------------------


class ListResource(Resource[Entity]):
    """A resource over a list of dicts: enough for the loader, which never calls it."""

    def __init__(self, entity: type[Entity], records: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(entity, decode=entity.model_validate, **kwargs)
        self.records = records

    def pages(self, client: Any, since: str | None) -> Iterator[Page]:
        yield Page([NativeRecord(str(r["id"]), r) for r in self.records])

    def find(self, client: Any, keys: Mapping[str, str]) -> NativeRecord | None:
        found = [r for r in self.records if all(str(r.get(k)) == v for k, v in keys.items())]
        return NativeRecord(str(found[0]["id"]), found[0]) if found else None


class ErpOptions(ConnectionOptions):
    division: int = Field(description="Administration number of the fake ERP", examples=[123456])
    client_id: str = Field(description="OAuth client id of the app registration", examples=["abc"])
    client_secret: SecretRef = Field(description="OAuth client secret of the app registration")
    language: str = Field(default="nl", description="Language of product texts", examples=["nl"])


class FakeErp(Connector):
    name = "fake_erp"
    label = "Fake ERP"
    Options = ErpOptions

    products = ListResource(Product, [], native_key="ID", natural_keys=["key"], cursor=SyncToken("Timestamp"),
                            can=["read", "create", "update"])
    customers = ListResource(Customer, [], native_key="ID", natural_keys=["email", "vat_number"],
                             cursor=UpdatedSince("Modified"), can=["read", "create", "update"])
    orders = ListResource(Order, [], native_key="ID", natural_keys=["number"], cursor=UpdatedSince("Modified"),
                          can=["read", "create"])

    def account_key(self) -> str:
        return "fake_erp"

    @property
    def client(self) -> Any:
        return None


class ShopOptions(ConnectionOptions):
    shop: str = Field(description="Shop domain", examples=["demo.example.com"])
    token: SecretRef = Field(description="Admin API access token")


class FakeShop(Connector):
    name = "fake_shop"
    label = "Fake shop"
    Options = ShopOptions

    products = ListResource(Product, [], native_key="id", natural_keys=["key"], cursor=UpdatedSince("updatedAt"),
                            can=["read", "create", "update"])
    orders = ListResource(Order, [], native_key="id", natural_keys=["number"], cursor=UpdatedSince("updatedAt"),
                          can=["read"])
    stock = ListResource(Product, [], native_key="id", natural_keys=["key"], cursor=None, can=["update"])

    def account_key(self) -> str:
        return "fake_shop"

    @property
    def client(self) -> Any:
        return None


ENV = {"ERP_SECRET": "s3cret-erp", "SHOP_TOKEN": "shpat_abc"}

GOOD = """\
settings:
  detail_retention_days: 30
connections:
  erp:
    connector: fake_erp
    detail_log: true
    division: 123456
    client_id: abc
    client_secret: ${ERP_SECRET}
  shop:
    connector: fake_shop
    shop: demo.example.com
    token: ${SHOP_TOKEN}
flows:
  products:
    from: erp.products
    to: shop.products
    every: 15m
    filter: "product.active"
    write: upsert
    mapping:
      set: {title: "product.title | upper"}
      default: {vendor: "ACME"}
      create_only: [description]
  orders:
    from: shop.orders
    to: erp.orders
    cron: "*/5 * * * *"
    filter: "order.financial_status == 'paid'"
    write: create
    match: {customer: email}
    create_missing: [customer]
    retry: {max_attempts: 3, backoff: 1m}
    cursor: updatedAt
    batch_size: 50
    enabled: false
"""


@pytest.fixture(autouse=True)
def fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    registry.available()  # discover built-ins first, so the fakes are only added on top
    monkeypatch.setitem(registry._registry, FakeErp.name, FakeErp)
    monkeypatch.setitem(registry._registry, FakeShop.name, FakeShop)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tradewind.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str, environ: Mapping[str, str] = ENV, **kwargs: Any) -> list[Problem]:
    return validate(write(tmp_path, text), environ=environ, **kwargs)


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def edited(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


# --- a good project ----------------------------------------------------------------------------


def test_good_project_loads_into_engine_objects(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, GOOD), environ=ENV)

    assert sorted(project.connections) == ["erp", "shop"]
    erp = project.connections["erp"]
    assert FakeErp is erp.connector
    assert erp.detail_log is True
    assert erp.options.division == 123456  # type: ignore[attr-defined]
    assert SecretRef("${ERP_SECRET}") == erp.options.client_secret  # type: ignore[attr-defined]

    products = project.flows["products"]
    endpoints = (products.source.name, products.source_resource, products.target.name, products.target_resource)
    assert endpoints == ("erp", "products", "shop", "products")
    assert timedelta(minutes=15) == products.schedule.interval
    assert products.entity == "product"
    assert products.filter is not None and products.mapping is not None
    assert products.filter.evaluate({"product": {"active": True}}) == (True, "kept: product.active is true")

    orders = project.flows["orders"]
    assert orders.schedule.cron == "*/5 * * * *" and orders.schedule.interval is None
    assert orders.write == "create"
    assert dict(orders.match) == {"customer": "email"}
    assert frozenset({"customer"}) == orders.create_missing
    assert (3, timedelta(minutes=1)) == (orders.retry.max_attempts, orders.retry.backoff)
    assert (orders.cursor, orders.batch_size, orders.enabled) == ("updatedAt", 50, False)
    assert project.settings["detail_retention_days"] == 30


def test_flow_without_schedule_is_manual(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, edited("    every: 15m\n", "")), environ=ENV)

    assert project.flows["products"].schedule.describe() == "manual"


def test_problem_reads_file_line_column_message_hint() -> None:
    problem = Problem("tradewind.yaml:12:5", "unknown connector 'exakt'", "known connectors: exact_online, shopify")

    assert str(problem) == \
        "tradewind.yaml:12:5: unknown connector 'exakt' (hint: known connectors: exact_online, shopify)"


def test_load_project_raises_every_problem_at_once(tmp_path: Path) -> None:
    text = edited("connector: fake_shop", "connector: fake_shopp").replace("every: 15m", "every: 15x")

    with pytest.raises(ProjectInvalid) as caught:
        load_project(write(tmp_path, text), environ=ENV)

    assert isinstance(caught.value, ConfigError)
    messages = [p.message for p in caught.value.problems]
    assert any("unknown connector 'fake_shopp'" in m for m in messages)
    assert any("'15x' is not an interval" in m for m in messages)
    assert "problems in the project file" in str(caught.value)


# --- YAML ----------------------------------------------------------------------------------------


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "connections:\n  erp: [fake_erp\n  shop: {}\n")

    problem = only(validate(path, environ=ENV))

    assert problem.where.startswith(f"{path}:3:")
    assert "YAML syntax error" in problem.message


def test_duplicate_keys_are_reported_each(tmp_path: Path) -> None:
    text = edited("    every: 15m\n", "    every: 15m\n    every: 5m\n").replace(
        "    shop: demo.example.com\n", "    shop: demo.example.com\n    shop: other.example.com\n")

    problems = problems_of(tmp_path, text)

    assert [p.message for p in problems] == ["duplicate key 'shop'", "duplicate key 'every'"]
    assert problems[1].where.endswith(f":{line_of(text, 'every: 5m')}:5")


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "must be a mapping" in only(problems_of(tmp_path, "- a\n- b\n")).message


def test_extension_keys_hold_anchors_for_flows(tmp_path: Path) -> None:
    text = "x-every: &often\n  every: 5m\n  batch_size: 10\n" + GOOD.replace(
        "    every: 15m\n", "    <<: *often\n    every: 10m\n")

    project = load_project(write(tmp_path, text), environ=ENV)

    assert project.flows["products"].schedule.interval == timedelta(minutes=10)
    assert project.flows["products"].batch_size == 10


def test_a_flow_that_is_not_a_mapping(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, GOOD + "  empty:\n"))

    assert problem.message == "flow 'empty': must be a mapping of keys"


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read the project file" in only(validate(tmp_path / "nope.yaml", environ=ENV)).message


# --- structure -----------------------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    text = GOOD + "flowz: {}\n"

    problem = only(problems_of(tmp_path, text))

    assert problem.where.endswith(f":{line_of(text, 'flowz')}:1")
    assert problem.message == "unknown top-level key 'flowz'"
    assert "did you mean 'flows'?" in (problem.hint or "")


def test_unknown_flow_key_points_at_the_key(tmp_path: Path) -> None:
    text = edited("    write: upsert\n", "    writ: upsert\n")

    problem = only(problems_of(tmp_path, text))

    assert problem.where.endswith(f":{line_of(text, 'writ:')}:5")
    assert problem.message == "flow 'products': unknown key 'writ'"
    assert "did you mean 'write'?" in (problem.hint or "")


def test_unknown_key_in_nested_retry(tmp_path: Path) -> None:
    text = edited("retry: {max_attempts: 3, backoff: 1m}", "retry: {max_attempts: 3, backof: 1m}")

    problem = only(problems_of(tmp_path, text))

    assert "unknown key 'backof'" in problem.message
    assert "did you mean 'backoff'?" in (problem.hint or "")


def test_wrong_type_in_flow_key_and_other_problems_still_found(tmp_path: Path) -> None:
    text = edited("    batch_size: 50\n", "    batch_size: lots\n").replace("every: 15m", "every: 15x")

    messages = [p.message for p in problems_of(tmp_path, text)]

    assert any("flow 'orders', batch_size" in m for m in messages)
    assert any("'15x' is not an interval" in m for m in messages)


def test_missing_to_points_at_the_flow(tmp_path: Path) -> None:
    text = edited("    to: shop.products\n", "")

    problem = only(problems_of(tmp_path, text))

    assert problem.message == "flow 'products' needs 'to'"
    assert problem.where.endswith(f":{line_of(text, '  products:')}:3")


def test_missing_connector_key(tmp_path: Path) -> None:
    text = edited("    connector: fake_erp\n", "")

    assert any(p.message == "connection 'erp' needs 'connector'" for p in problems_of(tmp_path, text))


# --- connectors and options ----------------------------------------------------------------------


def test_unknown_connector_lists_known_ones(tmp_path: Path) -> None:
    text = edited("connector: fake_erp", "connector: fake_epr")

    problem = only(problems_of(tmp_path, text))

    assert problem.message == "unknown connector 'fake_epr'"
    assert problem.where.endswith(f":{line_of(text, 'fake_epr')}:16")
    assert "did you mean 'fake_erp'?" in (problem.hint or "")
    assert "fake_shop" in (problem.hint or "")


def test_option_of_wrong_type_shows_its_description(tmp_path: Path) -> None:
    text = edited("division: 123456", "division: twelve")

    problem = only(problems_of(tmp_path, text))

    assert problem.where.endswith(f":{line_of(text, 'division')}:5")
    assert "connection 'erp' (fake_erp), division" in problem.message
    assert problem.hint == "Administration number of the fake ERP; e.g. 123456"


def test_missing_required_option_shows_its_description(tmp_path: Path) -> None:
    text = edited("    client_id: abc\n", "")

    problem = only(problems_of(tmp_path, text))

    assert problem.message == "connection 'erp' (fake_erp) needs 'client_id'"
    assert problem.where.endswith(f":{line_of(text, '  erp:')}:3")
    assert "OAuth client id" in (problem.hint or "")


def test_unknown_option_suggests_the_near_one_with_its_description(tmp_path: Path) -> None:
    text = edited("division: 123456", "divison: 123456")

    problem = only(problems_of(tmp_path, text))

    assert problem.message == "connection 'erp' (fake_erp): unknown key 'divison'"
    assert "did you mean 'division'?" in (problem.hint or "")
    assert "Administration number of the fake ERP" in (problem.hint or "")


def test_plain_text_secret_is_refused_without_echoing_it(tmp_path: Path) -> None:
    text = edited("client_secret: ${ERP_SECRET}", "client_secret: hunter2")

    problem = only(problems_of(tmp_path, text))

    assert "secrets are never written in the project file" in problem.message
    assert "hunter2" not in str(problem)
    assert problem.where.endswith(f":{line_of(text, 'client_secret')}:20")
    assert "${ERP_CLIENT_SECRET}" in (problem.hint or "")


def test_env_reference_on_a_plain_option_is_explained(tmp_path: Path) -> None:
    text = edited("division: 123456", "division: ${DIVISION}")

    problem = only(problems_of(tmp_path, text))

    assert "only secret options take ${ENV} references" in (problem.hint or "")


def test_missing_secret_variable_is_named(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, GOOD, environ={"SHOP_TOKEN": "x"}))

    assert "environment variable ERP_SECRET is not set" in problem.message
    assert problem.where.endswith(f":{line_of(GOOD, 'client_secret')}:20")


def test_missing_secrets_may_be_left_unchecked(tmp_path: Path) -> None:
    assert problems_of(tmp_path, GOOD, environ={}, check_secrets=False) == []


# --- flows: endpoints and capabilities ------------------------------------------------------------


def test_endpoint_must_be_connection_dot_resource(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, edited("from: erp.products", "from: erp")))

    assert problem.message == "flow 'products', from: 'erp' is not `connection.resource`"


def test_unknown_connection_in_flow(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, edited("to: shop.products", "to: shp.products")))

    assert problem.message == "flow 'products', to: unknown connection 'shp'"
    assert "did you mean 'shop'?" in (problem.hint or "")


def test_unknown_resource_lists_the_connectors_resources(tmp_path: Path) -> None:
    text = edited("from: erp.products", "from: erp.items")

    problem = only(problems_of(tmp_path, text))

    assert problem.message == "flow 'products', from: connector fake_erp has no resource 'items'"
    assert problem.hint == "fake_erp resources: customers, orders, products"
    assert problem.where.endswith(f":{line_of(text, 'erp.items')}:11")


def test_source_must_be_readable(tmp_path: Path) -> None:
    text = edited("from: erp.products", "from: shop.stock").replace("to: shop.products", "to: erp.products")

    problem = only(problems_of(tmp_path, text))

    assert "shop.stock cannot be read" in problem.message
    assert problem.hint == "readable fake_shop resources: products, orders"


def test_target_must_allow_the_write_policy(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, edited("    write: create\n", "    write: upsert\n")))

    assert "write policy 'upsert' needs to create and update, but erp.orders cannot update" in problem.message
    assert problem.hint == "use write: create"


def test_flow_between_entities_that_cannot_map_names_both(tmp_path: Path) -> None:
    text = edited("to: shop.products", "to: shop.orders").replace("    write: upsert\n", "    write: update\n")

    problems = problems_of(tmp_path, text)

    kinds = [p for p in problems if "cannot map" in p.message]
    assert len(kinds) == 1
    assert "flow 'products' cannot map product records (erp.products) onto order records (shop.orders)" in \
        kinds[0].message
    assert kinds[0].hint == "shop resources holding product: products, stock"


# --- schedules -------------------------------------------------------------------------------------


def test_bad_interval(tmp_path: Path) -> None:
    text = edited("every: 15m", "every: 15x")

    problem = only(problems_of(tmp_path, text))

    assert problem.where.endswith(f":{line_of(text, '15x')}:12")
    assert problem.message == "flow 'products', every: '15x' is not an interval"
    assert "30s, 5m, 15m, 1h, 1d" in (problem.hint or "")


def test_bad_cron(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, edited('cron: "*/5 * * * *"', 'cron: "*/5 * * *"')))

    assert "'*/5 * * *' is not a cron expression" in problem.message
    assert "UTC" in (problem.hint or "")


def test_both_every_and_cron(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, edited("    every: 15m\n", '    every: 15m\n    cron: "0 * * * *"\n')))

    assert problem.message == "flow 'products' has both `every` and `cron`"


@pytest.mark.parametrize(("text", "expected"), [
    ("30s", timedelta(seconds=30)), ("5m", timedelta(minutes=5)), ("15m", timedelta(minutes=15)),
    ("1h", timedelta(hours=1)), ("1d", timedelta(days=1)),
])
def test_intervals(text: str, expected: timedelta) -> None:
    assert expected == parse_interval(text)


@pytest.mark.parametrize("text", ["15x", "0m", "m", "1.5h", "-1m", ""])
def test_bad_intervals(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


# --- expressions -----------------------------------------------------------------------------------


def test_bad_filter_names_file_line_column_and_the_available_names(tmp_path: Path) -> None:
    text = edited('filter: "product.active"', 'filter: "prodcut.active"')

    problem = only(problems_of(tmp_path, text))

    assert problem.where.endswith(f":{line_of(text, 'prodcut')}:13")
    assert "unknown name 'prodcut'" in problem.message
    assert "did you mean 'product'?" in (problem.hint or "")


def test_filter_reads_the_flows_own_entity(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, edited('filter: "product.active"', 'filter: "order.paid"')))

    assert "unknown name 'order'" in problem.message
    assert "context names: product, source" in (problem.hint or "")


def test_bad_mapping_expression_points_at_its_value(tmp_path: Path) -> None:
    text = edited('set: {title: "product.title | upper"}', 'set: {title: "product.title | shout"}')

    problem = only(problems_of(tmp_path, text))

    assert problem.where.endswith(f":{line_of(text, 'shout')}:20")
    assert "unknown filter 'shout'" in problem.message


def test_bad_table_expression_points_at_from(tmp_path: Path) -> None:
    text = edited("      default: {vendor: \"ACME\"}\n",
                  "      table:\n        Address.City:\n          from: \"product.vendr | uper\"\n"
                  "          values: {a: b}\n")

    problem = only(problems_of(tmp_path, text))

    assert problem.where.endswith(f":{line_of(text, 'vendr')}:17")


def test_bad_mapping_structure(tmp_path: Path) -> None:
    text = edited("create_only: [description]", "create_only: [description, 'lines.*']")

    problem = only(problems_of(tmp_path, text))

    assert "flow 'products', mapping.create_only" in problem.message
    assert "must end in a field name" in problem.message


# --- cursors ---------------------------------------------------------------------------------------

REASON = "a cursor must be a modification time or sync token; {} does not change when a record is updated, " \
         "so changes would be missed"


@pytest.mark.parametrize("field", ["id", "ID", "customerId", "Code", "number", "createdAt", "Created"])
def test_cursor_on_a_field_that_never_changes_is_refused(tmp_path: Path, field: str) -> None:
    text = edited("cursor: updatedAt", f"cursor: {field}")

    problem = only(problems_of(tmp_path, text))

    assert f"flow 'orders', cursor: {REASON.format(field)}" == problem.message
    assert problem.where.endswith(f":{line_of(text, 'cursor:')}:13")
    assert "write cursor: updatedAt" in (problem.hint or "")


def test_cursor_the_resource_does_not_declare_is_refused(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, edited("cursor: updatedAt", "cursor: processedAt")))

    assert "a cursor must be a modification time or sync token" in problem.message
    assert "does not declare processedAt as its cursor" in problem.message


def test_cursor_on_a_resource_without_cursor(tmp_path: Path) -> None:
    text = GOOD + "  stock:\n    from: shop.stock\n    to: erp.products\n    write: update\n    cursor: Modified\n"

    messages = [p.message for p in problems_of(tmp_path, text)]

    assert any("shop.stock has no cursor" in m for m in messages)


@pytest.mark.parametrize(("field", "stable"), [
    ("id", True), ("ItemId", True), ("ItemCode", True), ("order_number", True), ("created_at", True),
    ("updatedAt", False), ("Modified", False), ("Timestamp", False), ("paid", False),
])
def test_stable_fields(field: str, stable: bool) -> None:
    assert stable == is_stable_field(field)


# --- references ------------------------------------------------------------------------------------


def test_match_key_the_target_cannot_look_up(tmp_path: Path) -> None:
    text = edited("match: {customer: email}", "match: {customer: phone}")

    problem = only(problems_of(tmp_path, text))

    assert problem.message == "flow 'orders', match: fake_erp cannot find a customer by 'phone'"
    assert problem.hint == "customer natural keys: email, vat_number"


def test_match_kind_the_target_does_not_hold(tmp_path: Path) -> None:
    text = GOOD.replace("    write: upsert\n", "    write: upsert\n    match: {customer: email}\n", 1)

    problem = only(problems_of(tmp_path, text))

    assert "connection 'shop' (fake_shop) has no customer resource" in problem.message


def test_create_missing_unknown_kind(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, edited("create_missing: [customer]", "create_missing: [customers]")))

    assert "unknown entity kind 'customers'" in problem.message
    assert "did you mean 'customer'?" in (problem.hint or "")


# --- settings ------------------------------------------------------------------------------------


def test_environment_beats_file_beats_default(tmp_path: Path) -> None:
    environ = {**ENV, "TRADEWIND_DETAIL_RETENTION_DAYS": "7", "TRADEWIND_DATABASE_URL": "postgresql://u:pw@db/tw"}
    path = write(tmp_path, GOOD)

    from_env = load_project(path, environ=environ)
    from_file = load_project(path, environ=ENV)

    assert from_env.settings["detail_retention_days"] == 7
    assert from_file.settings["detail_retention_days"] == 30
    assert config_sources(from_env) == [
        ("database_url", "postgresql://u:***@db/tw", "environment TRADEWIND_DATABASE_URL"),
        ("detail_retention_days", 7, "environment TRADEWIND_DETAIL_RETENTION_DAYS"),
    ]
    assert [
        ("database_url", "sqlite:///tradewind.db", "default"),
        ("detail_retention_days", 30, f"{path}:2:3"),
    ] == config_sources(from_file)


def test_bad_setting_from_environment_names_the_variable(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, GOOD, environ={**ENV, "TRADEWIND_DETAIL_RETENTION_DAYS": "soon"}))

    assert problem.where == "environment TRADEWIND_DETAIL_RETENTION_DAYS"
    assert problem.message.startswith("setting detail_retention_days:")


def test_unknown_setting_and_password_in_file(tmp_path: Path) -> None:
    text = edited("  detail_retention_days: 30\n",
                  "  detail_retention_days: 30\n  retention: 3\n  database_url: postgresql://u:pw@db/tw\n")

    messages = [p.message for p in problems_of(tmp_path, text)]

    assert "settings: unknown key 'retention'" in messages
    assert any("secrets are never written in the project file" in m and "pw" not in m for m in messages)


# --- the template and the reference ----------------------------------------------------------------

TEMPLATE = Path(__file__).parents[2] / "src" / "tradewind" / "engine" / "templates" / "tradewind.yaml"
TEMPLATE_ENV = {"EXACT_CLIENT_SECRET": "secret", "EXACT_REFRESH_TOKEN": "refresh", "SHOPIFY_TOKEN": "shpat_x"}


def test_template_validates_with_its_environment() -> None:
    assert {"exact_online", "shopify"} <= set(registry.available())

    assert validate(TEMPLATE, environ=TEMPLATE_ENV) == []


def test_template_loads_the_promised_flows() -> None:
    assert {"exact_online", "shopify"} <= set(registry.available())

    project = load_project(TEMPLATE, environ=TEMPLATE_ENV)

    flows = {name: (f"{f.source.name}.{f.source_resource}", f"{f.target.name}.{f.target_resource}", f.write)
             for name, f in project.flows.items()}
    assert flows == {
        "products": ("erp.products", "shop.products", "upsert"),
        "prices": ("erp.prices", "shop.prices", "update"),
        "stock": ("erp.stock", "shop.stock", "update"),
        "orders": ("shop.orders", "erp.orders", "create"),
    }


def test_template_explains_each_key() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")

    for key in ("settings:", "connections:", "connector:", "detail_log:", "flows:", "from:", "to:", "every:",
                "filter:", "write:", "mapping:", "match:", "create_missing:", "retry:"):
        line = next(line for line in text.splitlines() if line.strip().startswith(key))
        assert "#" in line or key in ("settings:", "connections:", "flows:"), f"{key} has no comment: {line}"


def test_reference_documents_every_connector_option_and_resource() -> None:
    text = project_reference_markdown()

    for name in registry.available():
        connector = registry.get(name)
        assert f"`{name}`" in text
        for option, field in connector.Options.model_fields.items():
            assert f"`{option}`" in text
            assert (field.description or "").replace("|", "\\|").replace("<", "&lt;") in text
        for resource in connector.resources:
            assert f"`{resource}`" in text
    assert "secrets are never written in the project file" not in text  # a reference, not an error list
    assert "Administration number of the fake ERP" in text
    assert "| `client_secret` | secret (`${ENV}`) | required | yes |" in text
    assert "| `customers` | customer | `email`, `vat_number` | updated since `Modified` | create, read, update |" \
        in text


def test_reference_documents_the_schema() -> None:
    text = project_reference_markdown()

    for key in ("detail_retention_days", "TRADEWIND_DATABASE_URL", "`connector`", "`detail_log`", "`from`", "`to`",
                "`every`", "`cron`", "`filter`", "`write`", "`match`", "`create_missing`", "`cursor`",
                "`batch_size`", "`enabled`", "`max_attempts`", "`backoff`", "`set`", "`table`", "`create_only`"):
        assert key in text
