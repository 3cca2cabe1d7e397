"""The customers part of ``/api/v1/``."""

from customers.api import imports, products, records


def register(router) -> None:
    records.register(router)
    imports.register(router)
    products.register(router)
