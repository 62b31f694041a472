"""Addresses several signed-in roles share: attachment downloads, checked by one access rule,
and award certificates."""

from django.urls import path

from reform_cases.views import certificate
from reform_cases.views import signed_in as views

case_patterns = [
    path("attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    # The award certificate: the submitting unit and the office.
    path("<int:pk>/certificate/", certificate.certificate_download, name="certificate"),
]
