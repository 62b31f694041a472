"""Signals of the text core."""

from django.dispatch import Signal

# Sent by services.refit_model with `version` once a new model is current and every case
# vector of it is stored: whatever keeps vectors of its own (reviews' expert vectors)
# recomputes them under the new version.
model_refitted = Signal()
