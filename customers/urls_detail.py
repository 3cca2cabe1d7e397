"""URLs of the customer detail screens."""

urlpatterns: list = []
