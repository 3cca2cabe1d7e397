"""URLs of the customer quality screens."""

urlpatterns: list = []
