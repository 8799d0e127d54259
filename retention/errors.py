"""Errors whose message is meant for the user: the app shows them, the CLI prints them."""


class RetentionError(Exception):
    """Base class: the message says what is wrong and what to do about it."""


class SchemaError(RetentionError):
    """The warehouse file has a schema this version cannot use."""


class DataError(RetentionError):
    """Input data is missing, malformed or too small for the requested analysis."""


class WarehouseBusy(RetentionError):
    """Another process held the warehouse file's lock for longer than the wait allowed (``RETENTION_LOCK_WAIT``)."""
