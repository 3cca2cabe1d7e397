"""Writes of the campaigns app, one module per use case."""
