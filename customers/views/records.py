"""Views of the customer records screens."""
