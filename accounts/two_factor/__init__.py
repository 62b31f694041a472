"""Two-factor log-in: an authenticator app (TOTP) and one-time recovery codes, on django-otp.

policy.py   who must use it (settings.OTP_REQUIRED_FOR_STAFF)
services.py enrol, check a code, regenerate recovery codes, disable (each an AccountEvent)
pending.py  the half-finished log-in kept in the session between password and code
forms.py    the code, enrolment and disable forms
"""
