"""The connector contract's shared pieces: secret references and their redaction from logs."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from pydantic import Field, ValidationError

import tradewind.log
from tradewind.connectors.base import ConnectionOptions, Connector, SecretRef
from tradewind.errors import ConfigError


class Options(ConnectionOptions):
    shop: str = Field(description="Shop domain")
    token: SecretRef = Field(description="Admin API token")
    webhook_secret: SecretRef | None = Field(default=None, description="Webhook signing secret")


class Dummy(Connector):
    name = "dummy"
    label = "Dummy"
    Options = Options

    def account_key(self) -> str:
        return "dummy:1"

    @property
    def client(self) -> Any:
        return None


def unique_secret() -> str:
    return f"shpat_{uuid.uuid4().hex}"


@pytest.mark.parametrize("text", ["hunter2", "$TOKEN", "${TOKEN", "${1TOKEN}", "prefix ${TOKEN}", ""])
def test_secret_ref_refuses_plain_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a secret reference"):
        SecretRef(text)


def test_secret_ref_resolves_from_an_environ_mapping() -> None:
    assert "s3cret" == SecretRef(" ${SHOP_TOKEN} ").resolve({"SHOP_TOKEN": "s3cret"})


def test_secret_ref_resolves_from_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWIND_TEST_TOKEN", "from-env")
    assert "from-env" == SecretRef("${TRADEWIND_TEST_TOKEN}").resolve()


@pytest.mark.parametrize("environ", [{}, {"SHOP_TOKEN": ""}])
def test_missing_secret_is_a_config_error_naming_the_variable(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=r"\$\{SHOP_TOKEN\} is not set") as caught:
        SecretRef("${SHOP_TOKEN}").resolve(environ)
    assert "export SHOP_TOKEN=" in (caught.value.hint or "")


def test_repr_and_str_never_show_the_value() -> None:
    secret = unique_secret()
    ref = SecretRef("${SHOP_TOKEN}")
    ref.resolve({"SHOP_TOKEN": secret})
    assert ("${SHOP_TOKEN}", "SecretRef(${SHOP_TOKEN})") == (str(ref), repr(ref))


def test_pydantic_accepts_a_reference_and_serialises_it_back() -> None:
    options = Options.model_validate({"shop": "demo.myshopify.com", "token": "${SHOP_TOKEN}"})
    assert SecretRef("${SHOP_TOKEN}") == options.token
    assert {"shop": "demo.myshopify.com", "token": "${SHOP_TOKEN}", "webhook_secret": None} == options.model_dump()
    as_json = options.model_dump_json()
    assert '"token":"${SHOP_TOKEN}"' in as_json
    assert options == Options.model_validate_json(as_json)


def test_pydantic_refuses_a_plain_text_secret() -> None:
    with pytest.raises(ValidationError, match="not a secret reference") as caught:
        Options.model_validate({"shop": "demo", "token": "shpat_plain"})
    assert {"token"} == {error["loc"][0] for error in caught.value.errors()}


def test_secret_fields_lists_secret_references() -> None:
    assert ["token", "webhook_secret"] == Options.secret_fields()


def test_connector_secret_is_masked_by_the_redaction_processor() -> None:
    secret = unique_secret()
    connector = Dummy(Options(shop="demo", token=SecretRef("${SHOP_TOKEN}")), environ={"SHOP_TOKEN": secret},
                      http=httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200))))
    event: dict[str, Any] = {"event": "auth", "detail": f"Bearer {secret} refused", "headers": {"X-Key": secret}}
    assert f"Bearer {secret} refused" == tradewind.log.redact(None, "info", dict(event))["detail"]  # not yet known
    assert secret == connector.secret(connector.options.token)  # type: ignore[attr-defined]
    redacted = tradewind.log.redact(None, "info", event)
    assert ("Bearer *** refused", False) == (redacted["detail"], secret in repr(redacted))
    connector.close()


@pytest.fixture
def configured_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("configured_logging")
def test_a_logged_secret_never_reaches_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    secret = unique_secret()
    tradewind.log.configure("INFO", json=True)
    connector = Dummy(Options(shop="demo", token=SecretRef("${SHOP_TOKEN}")), environ={"SHOP_TOKEN": secret},
                      http=httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200))))
    value = connector.secret(connector.options.token)  # type: ignore[attr-defined]
    structlog.get_logger("test").info("token_refreshed", url=f"https://x.test/?t={value}", access_token=value)
    logging.getLogger("httpx").warning("GET https://x.test/?t=%s", value)
    err = capsys.readouterr().err
    assert (False, True, True) == (secret in err, "token_refreshed" in err, "https://x.test/?t=***" in err)
    connector.close()

