"""Views of the customer imports screens."""
