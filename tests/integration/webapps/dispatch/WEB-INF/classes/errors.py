"""An exception class of the webapp, named by an <exception-type>."""


class QuotaError(Exception):
    """Raised by the fail servlet; has an error page of its own."""


class SpecialQuotaError(QuotaError):
    """A subclass: finds QuotaError's page through its bases."""
