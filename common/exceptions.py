from django.core.exceptions import ValidationError


class InvalidTransition(ValidationError):
    """A state change that the case's or campaign's current state does not allow."""


class AlreadySubmitted(InvalidTransition):
    """A second submission of the same case (a second tab, a double click): not an error for the user."""
