"""API for customer records."""


def register(router) -> None:
    """Add this module's viewsets to the API router."""
