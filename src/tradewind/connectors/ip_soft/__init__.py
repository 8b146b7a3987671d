"""IP-Soft (SOAP) connector; see :mod:`.connector`. The WSDL it ships is a model of the service."""

from tradewind.connectors.ip_soft.connector import IPSoft, IPSoftOptions

__all__ = ["IPSoft", "IPSoftOptions"]
