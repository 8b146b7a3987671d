"""Writes to the Exact Online sandbox (POST, PUT, DELETE and seeding) for items, prices, stock rows,
accounts and contacts: request values converted and checked, fields Exact derives filled in.

As Exact (WCF Data Services) answers: an unknown property is refused with 400, read-only fields sent
are ignored (field lists: ``schema.py``), a missing mandatory field or an invalid reference answers
**500** with its message in the error envelope ("Mandatory: Code", "Invalid reference: Item" — picqer
issue #249 and the .NET SDK README: "InternalServerError — find the validation errors in the error
message"). Account codes are padded to 18 characters and numbered on from the highest (basvanbeek.nl
"Exact Online tips"); an item's ``Stock`` is the sum of its warehouse rows. Sales orders: ``orders.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from tradewind.sandboxes.exact_online.schema import (
    ACCOUNTS,
    ITEMS,
    STOCK,
    VAT_CODES,
    Entity,
    ExactError,
    Rec,
    convert,
    pad,
)
from tradewind.sandboxes.exact_online.store import Store


class Writes(Store):
    """Create, update and delete records of the division (sales orders add their rules in ``Orders``)."""

    def _values(self, entity: Entity, body: Mapping[str, Any], *, trusted: bool) -> Rec:
        """Convert a request body; unknown properties are refused, read-only ones dropped (unless seeding)."""
        values: Rec = {}
        for name, raw in body.items():
            if name == "__metadata":
                continue
            kind = entity.types.get(name) or ("int" if trusted and name == "Timestamp" else None)
            if kind is None:
                raise ExactError(400, f"The property '{name}' does not exist on type '{entity.type_name}'. Make "
                                      f"sure to only use property names that are defined by the type.")
            if kind == "nav" or (name in entity.read_only and not trusted):
                continue
            values[name] = convert(entity, name, kind, raw)
        return values

    def _mandatory(self, entity: Entity, rec: Rec) -> None:
        for name, label in entity.mandatory:
            if rec.get(name) in (None, ""):
                raise ExactError(500, f"Mandatory: {label}")

    def _new_record(self, entity: Entity, values: Rec) -> Rec:
        rec: Rec = dict.fromkeys(entity.scalars)
        rec.update(values)
        key = rec.get(entity.key)
        if key is None or key in self.tables[entity.name]:
            rec[entity.key] = str(uuid.uuid4())
        rec["Division"] = self.division
        return rec

    def create(self, entity: Entity, body: Mapping[str, Any], *, trusted: bool = False) -> Rec:
        """POST semantics (``trusted``: a seed, which may set read-only fields and refer to codes)."""
        with self.lock:
            values = self._values(entity, body, trusted=trusted)
            rec = self._new_record(entity, values)
            self._derive(entity, rec, body, trusted=trusted, new=True)
            self._touch(rec, values if trusted else None)
            return self._stored(entity, rec)

    def update(self, entity: Entity, key: str, body: Mapping[str, Any], *, trusted: bool = False) -> Rec:
        """PUT semantics: merge the given fields, derive, bump Modified/Timestamp."""
        with self.lock:
            rec = dict(self.get(entity, key))
            values = self._values(entity, body, trusted=trusted)
            values.pop(entity.key, None)
            self._check_update(entity, rec, body, values)
            rec.update(values)
            return self._save_update(entity, rec, body, values, trusted=trusted)

    def _check_update(self, entity: Entity, rec: Rec, body: Mapping[str, Any], values: Rec) -> None:
        """What an update may not change (none here; sales orders have their rules)."""

    def _save_update(self, entity: Entity, rec: Rec, body: Mapping[str, Any], values: Rec, *, trusted: bool) -> Rec:
        self._derive(entity, rec, body, trusted=trusted, new=False)
        self._touch(rec, values if trusted else None)
        return self._stored(entity, rec)

    def _stored(self, entity: Entity, rec: Rec) -> Rec:
        """Store, then refresh the item's ``Stock`` total when a warehouse row changed (no Modified bump)."""
        self._store(entity, rec)
        if entity is STOCK:
            item = self.tables["Items"][rec["Item"]]
            item["Stock"] = sum(s["CurrentStock"] or 0.0 for s in self.lookup(STOCK, "Item", item["ID"]))
        return rec

    def delete(self, entity: Entity, key: str) -> None:
        """DELETE semantics."""
        with self.lock:
            self.get(entity, key)
            self._remove(entity, key)

    def _derive(self, entity: Entity, rec: Rec, body: Mapping[str, Any], *, trusted: bool, new: bool) -> None:
        """Per-entity validation and read-only fields Exact fills in itself."""
        deriver = {
            "Items": self._derive_item, "SalesItemPrices": self._derive_price, "ItemWarehouses": self._derive_stock,
            "Accounts": self._derive_account, "Contacts": self._derive_contact,
        }[entity.name]
        deriver(rec, body, trusted)
        self._mandatory(entity, rec)

    def _unique(self, entity: Entity, name: str, rec: Rec, label: str) -> None:
        clash = [r for r in self.lookup(entity, name, rec[name]) if r[entity.key] != rec[entity.key]]
        if clash:
            raise ExactError(500, f"{label} already exists: {str(rec[name]).strip()}")

    def _derive_item(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        for name, default in (("IsSalesItem", True), ("IsStockItem", True), ("IsPurchaseItem", True),
                              ("IsWebshopItem", 0), ("Unit", "pc"), ("SalesVatCode", "2"),
                              ("CostPriceCurrency", "EUR"), ("StandardSalesPrice", 0.0), ("CostPriceStandard", 0.0)):
            if rec.get(name) is None:
                rec[name] = default
        if rec.get("ItemGroupCode") and rec.get("ItemGroup") is None:
            rec["ItemGroup"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:itemgroup:{rec['ItemGroupCode']}"))
        rec["SalesVatCodeDescription"] = VAT_CODES.get(rec["SalesVatCode"], (0.0, None))[1]
        rec["UnitDescription"] = rec.get("UnitDescription") or {"pc": "Piece"}.get(rec["Unit"], rec["Unit"])
        if rec.get("Code"):
            self._unique(ITEMS, "Code", rec, "Item code")
        rec["Stock"] = sum(s["CurrentStock"] or 0.0 for s in self.lookup(STOCK, "Item", rec["ID"]))

    def _reference(self, entity: Entity, key: Any, label: str) -> Rec:
        rec = self.tables[entity.name].get(key) if key else None
        if rec is None:
            raise ExactError(500, f"Invalid reference: {label}")
        return rec

    def _resolve_code(self, rec: Rec, body: Mapping[str, Any], name: str, entity: Entity, code_field: str,
                      trusted: bool) -> None:
        """Seeds may name an item or account by code instead of by ID."""
        code = body.get(code_field)
        if trusted and rec.get(name) is None and code:
            wanted = pad(code) if entity is ACCOUNTS else code
            found = self.lookup(entity, "Code", wanted)
            rec[name] = found[0][entity.key] if found else None

    def _derive_price(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        self._resolve_code(rec, body, "Item", ITEMS, "ItemCode", trusted)
        item = self._reference(ITEMS, rec.get("Item"), "Item")
        rec.update(ItemCode=item["Code"], ItemDescription=item["Description"], DefaultItemUnit=item["Unit"])
        rec["Unit"] = rec.get("Unit") or item["Unit"]
        rec["Currency"] = rec.get("Currency") or "EUR"
        rec["Quantity"] = rec.get("Quantity") if rec.get("Quantity") is not None else 0.0
        rec["NumberOfItemsPerUnit"] = rec.get("NumberOfItemsPerUnit") or 1.0
        account = self._reference(ACCOUNTS, rec["Account"], "Account") if rec.get("Account") else None
        rec["AccountName"] = account["Name"] if account else None

    def warehouse(self, code: str) -> Rec:
        """The warehouse with ``code``, created on first mention (seeds name warehouses by code)."""
        if code not in self.warehouses:
            wid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:{self.division}:warehouse:{code}"))
            self.warehouses[code] = {"ID": wid, "Code": code, "Description": f"Warehouse {code}"}
            self.tables["Warehouses"][wid] = self.warehouses[code]  # read through inventory/Warehouses
        return self.warehouses[code]

    def _warehouse_by_id(self, wid: Any) -> Rec:
        for wh in self.warehouses.values():
            if wh["ID"] == wid:
                return wh
        raise ExactError(500, "Invalid reference: Warehouse")

    def _derive_stock(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        self._resolve_code(rec, body, "Item", ITEMS, "ItemCode", trusted)
        item = self._reference(ITEMS, rec.get("Item"), "Item")
        if trusted and rec.get("Warehouse") is None and body.get("WarehouseCode"):
            rec["Warehouse"] = self.warehouse(str(body["WarehouseCode"]))["ID"]
        wh = self._warehouse_by_id(rec.get("Warehouse"))
        rec.update(ItemCode=item["Code"], ItemDescription=item["Description"], WarehouseCode=wh["Code"],
                   WarehouseDescription=wh["Description"])
        for name in ("CurrentStock", "ReservedStock", "PlannedStockIn", "PlannedStockOut"):
            rec[name] = rec.get(name) or 0.0
        rec["ProjectedStock"] = rec["CurrentStock"] + rec["PlannedStockIn"] - rec["PlannedStockOut"]
        clash = [s for s in self.lookup(STOCK, "Item", item["ID"])
                 if s["Warehouse"] == rec["Warehouse"] and s["ID"] != rec["ID"]]
        if clash:
            raise ExactError(500, f"Item {item['Code']} already exists in warehouse {wh['Code']}")

    def _derive_account(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        if not rec.get("Code"):
            rec["Code"] = self._next_account_code()
        rec["Code"] = pad(rec["Code"])
        if len(rec["Code"]) > 18:
            raise ExactError(500, "Code: maximum length is 18")
        self._unique(ACCOUNTS, "Code", rec, "Code")
        for name, default in (("IsSales", True), ("IsSupplier", False), ("Blocked", False), ("Type", "A")):
            if rec.get(name) is None:
                rec[name] = default
        if rec.get("Country"):
            rec["Country"] = rec["Country"].upper()

    def _next_account_code(self) -> str:
        numeric = [int(code) for code in (k.strip() for k in self.indexes[("Accounts", "Code")] if k)
                   if code.isdigit()]
        return str(max(numeric, default=0) + 1)

    def _derive_contact(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        account = self._reference(ACCOUNTS, rec.get("Account"), "Account")
        rec.update(AccountCode=account["Code"], AccountName=account["Name"])
        rec["FullName"] = " ".join(p for p in (rec.get("FirstName"), rec.get("MiddleName"), rec.get("LastName")) if p)
        if rec.get("IsMainContact") is None:
            rec["IsMainContact"] = False

    # ------------------------------------------------------------------ sales orders
