"""Views of the customer detail screens."""
