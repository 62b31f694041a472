"""Who must log in with a second factor.

With settings.OTP_REQUIRED_FOR_STAFF (on in production), every staff account
(administrators, and anyone else allowed into the Django admin) must have a
confirmed authenticator and a session verified with a code. Everyone else may
enrol and, once enrolled, is always asked for a code at log-in.
"""

from django.conf import settings

# The accounts site_setup/demo.py creates on the embedded default. Their password is
# printed in the README, so a second factor would protect nothing; production refuses
# demo data (DEMO_DATA_ALLOWED is False there), so nobody is exempt in production.
DEMO_ACCOUNTS = frozenset({"demo-locality", "demo-expert", "demo-admin"})


def is_exempt_demo_account(user) -> bool:
    return settings.DEMO_DATA_ALLOWED and user.get_username() in DEMO_ACCOUNTS


def two_factor_required(user) -> bool:
    """Must this signed-in user be verified with a code before using the site?"""
    if not settings.OTP_REQUIRED_FOR_STAFF:
        return False
    if not (user.is_authenticated and user.is_active):
        return False
    if not (user.is_staff or user.is_administrator):
        return False
    return not is_exempt_demo_account(user)
