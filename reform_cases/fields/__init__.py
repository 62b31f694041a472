"""The fields of reform (申报领域) on the office's pages: list, create, edit, delete.

services.py (chained) · rules.py · selectors.py · forms.py. The list's order (`order`, then
the name) is the order of every form and filter that offers a field.
"""
