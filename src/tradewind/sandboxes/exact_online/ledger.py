"""The financial entity sets of the Exact Online sandbox: sales invoices (and their printing, which
processes them), sales entries in the sales journal, and the settings tables they refer to (GL accounts,
journals, cost centres and units, projects, exchange rates, shipping methods, payment conditions).

Sources (fields, keys, read-only fields, mandatory fields, statuses), each copying Exact's reference page
``https://start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx?name=…``:

* ``SalesInvoiceSalesInvoices`` / ``…SalesInvoiceLines`` — picqer ``SalesInvoice.php`` and
  ``SalesInvoiceLine.php``: Status "10 = draft … 20 = open. Open invoices can be changed. New invoices get
  the status open by default. 50 = processed. Processed invoices can't be changed anymore. Processing is
  done via printing"; Type 8020 invoice, 8021 credit note, 8023 direct invoice; ``Journal`` "Every invoice
  should be linked to a sales journal"; a line's ``GLAccount`` "is mandatory … generated based on the
  revenue account of the item"; ``AmountDC = AmountFC * RateFC``.
  ``OrderedByContactPerson``/``InvoiceToContactPerson`` are "Reference to contact person of …" (Guids of
  ``crm/Contacts``) with read-only ``…FullName`` beside them (the .NET SDK's ``SalesInvoice.cs`` and its
  unit-test answer ``ApiConnectorControllerMock.cs``: ``"InvoiceToContactPerson": "e893…",
  "InvoiceToContactPersonFullName": "Karin Jansen"``, lines given by ``$expand=SalesInvoiceLines``); the
  sandbox refuses a contact that is not of the account it is named beside ("Invalid reference",
  **[uncertain]**: Exact's own wording).
* ``SalesInvoicePrintedSalesInvoices`` — the .NET SDK's ``PrintedSalesInvoice.cs`` (POST only, key
  ``InvoiceID``, "Reference to EntryID of SalesInvoice"): printing processes the invoice.
* ``SalesEntrySalesEntries`` / ``…SalesEntryLines`` — the .NET SDK's ``SalesEntry.cs`` and
  ``SalesEntryLine.cs`` @ 714706f/6808cbd: header ``AmountFC`` "the sum of all lines, including VAT",
  ``Rate`` "Foreign currency rate", Status 20 open / 50 processed, Type 20 entry / 21 credit note; a line's
  ``AmountFC`` "the amount excluding VAT", ``VATAmountFC`` "Use this property to specify a VAT amount that
  differs from the VAT amount that is automatically calculated", ``CostCenter``/``CostUnit`` codes,
  ``GLAccount`` and ``Project`` Guids.
* ``FinancialExchangeRates`` — picqer ``ExchangeRate.php``: ``Rate``, ``SourceCurrency`` (the foreign
  currency), ``TargetCurrency`` (the division's), ``StartDate`` "valid until a next rate is defined".
  The sandbox reads ``Rate`` as Exact's lines do: ``AmountDC = AmountFC × Rate`` (the page's own wording,
  "1 TARGET CURRENCY = x SOURCE CURRENCY", reads the other way round: **[uncertain]**).
* ``CRMAddresses`` — picqer ``Address.php``: an account's addresses, ``Type`` "Visit=1, Postal=2, Invoice=3,
  Delivery=4", ``Main`` "the main address for this type"; a sales order's ``DeliveryAddress`` is the ID of
  one (the .NET SDK's ``SalesOrder.cs``: "Reference to the delivery address"); the sandbox accepts there
  only a delivery address (Type 4) of the order's ``DeliverTo`` account (**[uncertain]**: Exact's check).
* ``FinancialGLAccounts``, ``FinancialJournals``, ``HRMCostcenters``, ``HRMCostunits``,
  ``ProjectProjects``, ``SalesShippingMethods``, ``CashflowPaymentConditions`` — codes and descriptions.
"""

from __future__ import annotations

from tradewind.sandboxes.exact_online.schema import _COMMON_RO, Entity, _schema

_PARTY = "OrderedBy InvoiceTo DeliverTo"


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())

INVOICES = Entity(
    "SalesInvoices", "Exact.Web.Api.Models.SalesInvoice.SalesInvoice", "InvoiceID",
    _schema(f"guid: InvoiceID {_PARTY} OrderedByContactPerson InvoiceToContactPerson DeliverToContactPerson "
            "DeliverToAddress Warehouse Creator Modifier; "
            "str: OrderedByName InvoiceToName DeliverToName OrderedByContactPersonFullName "
            "InvoiceToContactPersonFullName DeliverToContactPersonFullName Currency Description Journal "
            "JournalDescription PaymentCondition PaymentConditionDescription PaymentReference Remarks YourRef "
            "StatusDescription TypeDescription CreatorFullName ModifierFullName; "
            "int: InvoiceNumber OrderNumber Status Type Division; "
            "float: AmountDC AmountFC AmountFCExclVat AmountDiscount AmountDiscountExclVat VATAmountDC VATAmountFC; "
            "date: InvoiceDate OrderDate DueDate Created Modified; nav: SalesInvoiceLines"),
    frozenset((_COMMON_RO + " OrderedByName InvoiceToName DeliverToName JournalDescription StatusDescription "
               "OrderedByContactPersonFullName InvoiceToContactPersonFullName DeliverToContactPersonFullName "
               "PaymentConditionDescription TypeDescription AmountDC AmountFC AmountFCExclVat AmountDiscount "
               "AmountDiscountExclVat VATAmountDC VATAmountFC InvoiceNumber").split()),
    (("OrderedBy", "Ordered by"), ("Journal", "Journal")),
    ("YourRef", "OrderNumber"),
)
INVOICE_LINES = Entity(
    "SalesInvoiceLines", "Exact.Web.Api.Models.SalesInvoice.SalesInvoiceLine", "ID",
    _schema("guid: ID InvoiceID Item GLAccount Project; "
            "str: ItemCode ItemDescription Description VATCode VATCodeDescription CostCenter CostCenterDescription "
            "CostUnit CostUnitDescription GLAccountDescription UnitCode Notes; int: LineNumber Division; "
            "float: Quantity UnitPrice NetPrice Discount AmountDC AmountFC VATAmountDC VATAmountFC VATPercentage"),
    _names("Division ItemCode ItemDescription VATCodeDescription CostCenterDescription CostUnitDescription "
           "GLAccountDescription UnitCode AmountDC AmountFC VATAmountDC VATAmountFC VATPercentage"),
    (("Item", "Item"),),
    ("InvoiceID",),
)
PRINTED = Entity(
    "PrintedSalesInvoices", "Exact.Web.Api.Models.SalesInvoice.PrintedSalesInvoice", "InvoiceID",
    _schema("guid: InvoiceID Document DocumentLayout EmailLayout; "
            "str: DocumentCreationError DocumentCreationSuccess EmailCreationError EmailCreationSuccess ExtraText "
            "SenderEmailAddress; bool: SendEmailToCustomer SendInvoiceToCustomerPostbox; int: Division; "
            "date: InvoiceDate"),
    _names("Division Document DocumentCreationError DocumentCreationSuccess EmailCreationError "
           "EmailCreationSuccess"),
    (("InvoiceID", "Invoice"),),
)
ENTRIES = Entity(
    "SalesEntries", "Exact.Web.Api.Models.SalesEntry.SalesEntry", "EntryID",
    _schema("guid: EntryID Customer Document Creator Modifier; "
            "str: CustomerName Currency Description Journal JournalDescription PaymentCondition PaymentReference "
            "YourRef StatusDescription TypeDescription ExternalLinkReference CreatorFullName ModifierFullName; "
            "int: EntryNumber InvoiceNumber OrderNumber Status Type Division; "
            "float: AmountDC AmountFC Rate VATAmountDC VATAmountFC; bool: Reversal; "
            "date: EntryDate DueDate Created Modified; nav: SalesEntryLines"),
    frozenset((_COMMON_RO + " CustomerName JournalDescription StatusDescription TypeDescription AmountDC AmountFC "
               "VATAmountDC Status Type").split()),
    (("Customer", "Customer"), ("Journal", "Journal")),
    ("YourRef", "EntryNumber"),
)
ENTRY_LINES = Entity(
    "SalesEntryLines", "Exact.Web.Api.Models.SalesEntry.SalesEntryLine", "ID",
    _schema("guid: ID EntryID GLAccount Project; "
            "str: Description VATCode VATCodeDescription CostCenter CostCenterDescription CostUnit "
            "CostUnitDescription GLAccountCode GLAccountDescription Notes; int: LineNumber Type Division; "
            "float: AmountFC AmountDC Quantity VATAmountFC VATAmountDC VATBaseAmountFC VATBaseAmountDC VATPercentage"),
    _names("Division VATCodeDescription CostCenterDescription CostUnitDescription GLAccountCode "
           "GLAccountDescription LineNumber Type AmountDC VATAmountDC VATBaseAmountDC"),
    (("GLAccount", "G/L account"),),
    ("EntryID",),
)


def _table(name: str, type_name: str, spec: str) -> Entity:
    """A settings table the sandbox serves read-only (seeded), keyed by ``ID``, indexed by ``Code``."""
    types = _schema(f"guid: ID; int: Division; {spec}")
    return Entity(name, f"Exact.Web.Api.Models.{type_name}", "ID", types, frozenset(types), (), ("Code",))


GL_ACCOUNTS = _table("GLAccounts", "Financial.GLAccount", "str: Code Description")
JOURNALS = _table("Journals", "Financial.Journal", "str: Code Description; int: Type")
COST_CENTERS = _table("Costcenters", "HRM.Costcenter", "str: Code Description")
COST_UNITS = _table("Costunits", "HRM.Costunit", "str: Code Description")
PROJECTS = _table("Projects", "Project.Project", "str: Code Description")
SHIPPING_METHODS = _table("ShippingMethods", "Sales.ShippingMethod", "str: Code Description")
PAYMENT_CONDITIONS = _table("PaymentConditions", "Cashflow.PaymentCondition", "str: Code Description; "
                                                                               "int: PaymentDays")
RATES = Entity(
    "ExchangeRates", "Exact.Web.Api.Models.Financial.ExchangeRate", "ID",
    _schema("guid: ID; str: SourceCurrency TargetCurrency; float: Rate; int: Division; date: StartDate"),
    frozenset({"Division"}),
    (("SourceCurrency", "Source currency"), ("Rate", "Rate")),
    ("SourceCurrency",),
)

ADDRESSES = Entity(
    "Addresses", "Exact.Web.Api.Models.CRM.Address", "ID",
    _schema("guid: ID Account Contact Creator Modifier; str: AccountName AddressLine1 AddressLine2 AddressLine3 "
            "City ContactName Country CountryName Postcode State Phone Notes CreatorFullName ModifierFullName; "
            "bool: Main; int: Type Division; date: Created Modified"),
    frozenset((_COMMON_RO + " AccountName CountryName").split()),
    (("Account", "Account"), ("Type", "Type")),
    ("Account",),
)
DELIVERY = 4
"""``Addresses.Type`` of a delivery address."""

LEDGER_ENTITIES: tuple[Entity, ...] = (ADDRESSES, INVOICES, INVOICE_LINES, PRINTED, ENTRIES, ENTRY_LINES, GL_ACCOUNTS,
                                       JOURNALS, COST_CENTERS, COST_UNITS, PROJECTS, SHIPPING_METHODS,
                                       PAYMENT_CONDITIONS, RATES)

LEDGER_NAMES = frozenset(e.name for e in LEDGER_ENTITIES)

STATUS = {10: "Draft", 20: "Open", 50: "Processed"}
INVOICE_TYPES = {8020: "Sales invoice", 8021: "Sales credit note", 8023: "Direct sales invoice"}
ENTRY_TYPES = {20: "Sales entry", 21: "Sales credit note"}
SALES_JOURNAL = 20
"""``Journals.Type`` of a sales journal."""

#: What a fresh sandbox division holds: a sales journal, revenue accounts, cost centres, units, etc.
SETTINGS: tuple[tuple[Entity, list[tuple[str, str]]], ...] = (
    (GL_ACCOUNTS, [("8000", "Omzet binnenland"), ("8010", "Omzet EU"), ("8020", "Omzet buiten EU"),
                  ("8900", "Afrondingsverschillen")]),
    (JOURNALS, [("70", "Verkoopboek"), ("71", "Verkoopboek webshop")]),
    (COST_CENTERS, [("NL", "Nederland"), ("DE", "Duitsland"), ("WEB", "Webshop")]),
    (COST_UNITS, [("SHOP", "Webshop"), ("B2B", "Zakelijk")]),
    (PROJECTS, [("P100", "Webshop 2026")]),
    (SHIPPING_METHODS, [("POSTNL", "PostNL"), ("DHL", "DHL Parcel"), ("PICKUP", "Afhalen")]),
    (PAYMENT_CONDITIONS, [("00", "Direct"), ("14", "14 dagen"), ("30", "30 dagen"), ("IB", "iDEAL betaald"),
                          ("PP", "PayPal betaald")]),
)
