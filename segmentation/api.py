"""The segmentation part of ``/api/v1/``."""


def register(router) -> None:
    pass
