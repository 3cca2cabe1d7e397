"""URLs of the customer records screens."""

urlpatterns: list = []
