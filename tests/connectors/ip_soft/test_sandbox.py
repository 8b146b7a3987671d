"""The IP-Soft sandbox on its own: what a SOAP client that is not ours would see."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lxml import etree

from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.ip_soft import NS, SERVICE_PATH, create_app
from tradewind.sandboxes.ip_soft_data import catalogue

ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture
def served() -> Iterator[Served]:
    with Served(create_app(seed=catalogue(products=3, customers=2))) as served:
        yield served


def envelope(body: str, key: str = "demo-key") -> str:
    return (f'<s:Envelope xmlns:s="{ENV}" xmlns:i="{NS}"><s:Header><i:AuthHeader><i:ApiKey>{key}</i:ApiKey>'
            f'</i:AuthHeader></s:Header><s:Body>{body}</s:Body></s:Envelope>')


def post(served: Served, text: str, action: str = "ListCustomers") -> tuple[int, etree._Element]:
    response = httpx.post(f"{served.url}{SERVICE_PATH}", content=text.encode(),
                          headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NS}#{action}"'})
    return response.status_code, etree.fromstring(response.content)


def fault_of(root: etree._Element) -> tuple[str | None, str | None, str | None]:
    fault = root.find(f"{{{ENV}}}Body/{{{ENV}}}Fault")
    assert fault is not None
    return fault.findtext("faultcode"), fault.findtext(f"detail/{{{NS}}}ServiceFault/{{{NS}}}Code"), \
        fault.findtext("faultstring")


def test_the_wsdl_names_this_server(served: Served) -> None:
    wsdl = etree.fromstring(httpx.get(f"{served.url}{SERVICE_PATH}?wsdl").content)
    address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None and f"{served.url}{SERVICE_PATH}" == address.get("location")


def test_a_missing_mandatory_field_is_a_client_fault(served: Served) -> None:
    body = ("<i:CreateOrder><i:Order><i:ExternalReference>X</i:ExternalReference><i:OrderDate>2024-01-01T00:00:00Z"
            "</i:OrderDate><i:Currency>EUR</i:Currency><i:Lines/></i:Order></i:CreateOrder>")
    status, root = post(served, envelope(body), "CreateOrder")
    code, detail, text = fault_of(root)
    assert (500, "soap:Client", "MISSING_FIELD") == (status, code, detail)
    assert text is not None and "CustomerNumber" in text


def test_a_time_without_an_offset_is_refused(served: Served) -> None:
    status, root = post(served, envelope("<i:ListCustomers><i:ModifiedSince>2024-01-01T00:00:00</i:ModifiedSince>"
                                         "</i:ListCustomers>"))
    assert (500, "INVALID_VALUE") == (status, fault_of(root)[1])


def test_a_wrong_key_is_an_authentication_fault(served: Served) -> None:
    status, root = post(served, envelope("<i:ListCustomers/>", key="wrong"))
    assert (500, "soap:Client.Authentication", "AUTHENTICATION_FAILED") == (status, *fault_of(root)[:2])


def test_entities_are_not_expanded(served: Served) -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY a "aaaaaaaaaa">]>'
            + envelope("<i:FindOrders><i:ExternalReference>&a;</i:ExternalReference></i:FindOrders>"))
    status, root = post(served, bomb, "FindOrders")
    assert (500, "soap:Client") == (status, fault_of(root)[0])


def test_modified_since_and_the_page_token(served: Served) -> None:
    served.sandbox.touch("customers", "C10001", Phone="+31 1")
    status, root = post(served, envelope("<i:ListCustomers><i:ModifiedSince>2024-03-02T00:00:00+01:00"
                                         "</i:ModifiedSince></i:ListCustomers>"))
    assert (200, ["C10001"]) == (status, [e.text for e in root.iter(f"{{{NS}}}CustomerNumber")])
    status, root = post(served, envelope("<i:ListCustomers><i:PageSize>1</i:PageSize></i:ListCustomers>"))
    token = root.findtext(f".//{{{NS}}}NextPageToken")
    assert token and ["C10000"] == [e.text for e in root.iter(f"{{{NS}}}CustomerNumber")]
    status, root = post(served, envelope(f"<i:ListCustomers><i:PageSize>1</i:PageSize><i:PageToken>{token}"
                                         "</i:PageToken></i:ListCustomers>"))
    assert ["C10001"] == [e.text for e in root.iter(f"{{{NS}}}CustomerNumber")]
    assert root.findtext(f".//{{{NS}}}NextPageToken") is None
