"""Signals other parts of feedback connect to (the items helper turns low scores and
comments into feedback items)."""

from django.dispatch import Signal

# Sent after every saved response (public page, staff entry, API), with ``response`` and
# ``created`` (False when a customer edited their earlier answers).
response_saved = Signal()
