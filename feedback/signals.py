from django.dispatch import Signal

response_saved = Signal()
