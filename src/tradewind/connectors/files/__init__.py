"""Files: CSV or XML in a local folder or on an SFTP server (see ``connector.py``)."""

from tradewind.connectors.files.connector import Files

__all__ = ["Files"]
