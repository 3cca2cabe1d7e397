"""Form helpers shared by every app's views."""

from django.core.exceptions import ValidationError


def add_service_errors(form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` on ``form``: each message on the field it names
    when the form has that field, everything else (``__all__``, fields the form does not
    show, a plain message) above the form. The one way views show a service's refusal."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
