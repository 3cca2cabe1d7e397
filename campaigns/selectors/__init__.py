"""Reads of the campaigns app: audiences, due touches and the pages' querysets."""
