"""The office's list of units (单位): create, edit, delete, without the Django admin.

services.py  (create, update, delete; chained) · rules.py · selectors.py · forms.py ·
public_use.py (what public results show of a unit, registered by reform_cases)
"""
