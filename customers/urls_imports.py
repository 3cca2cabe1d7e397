"""URLs of the customer imports screens."""

urlpatterns: list = []
