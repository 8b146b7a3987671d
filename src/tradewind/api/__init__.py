"""The HTTP surface: the REST API under /api/v1, the webhook receiver, login and API tokens."""

from tradewind.api.accounts import ROLES, Accounts, LockedOut, Principal
from tradewind.api.app import allowed_hosts, create_app, first_user_hint

__all__ = ["ROLES", "Accounts", "LockedOut", "Principal", "allowed_hosts", "create_app", "first_user_hint"]
