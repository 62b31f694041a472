from django.core.exceptions import ValidationError


class InvalidTransition(ValidationError):
    """A state change that the case's or campaign's current state does not allow."""
