"""One-time links for invitations: signed, valid for 7 days, usable once.

Django's password-reset generator already makes a token that dies when the
password changes (so it works once); the invitation gets its own salt and
lifetime so that it cannot be used as a reset link or the other way round.
"""

from datetime import timedelta

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

INVITATION_LIFETIME = timedelta(days=7)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.InvitationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        invited = "" if user.invited_at is None else user.invited_at.replace(microsecond=0)
        return f"{user.pk}{user.password}{invited}{timestamp}{user.is_active}"

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        age = self._num_seconds(self._now()) - ts
        return age <= INVITATION_LIFETIME.total_seconds()


invitation_token = InvitationTokenGenerator()
