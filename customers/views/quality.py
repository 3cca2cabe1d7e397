"""Views of the customer quality screens."""
