"""Writes of the segmentation app, one module per use case."""
