"""Fixtures that give each LSP test its own state on its module's shared server (``client``)."""

from isolation import documents, settings  # noqa: F401 - fixtures
