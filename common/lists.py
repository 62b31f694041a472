"""Inline lists in the user's language: 、 between items in Chinese, ", " in English.

A list mark typed into a template or a message would show as Chinese punctuation in the
English pages; text built for a page or a message joins its items with `join_list`.
(Records stored in the database, e.g. the before → after of a correction, keep 、: they
are data, written once, whoever reads them later.)
"""

from django.utils.translation import get_language


def list_separator() -> str:
    """The mark between the items of an inline list in the active language."""
    return ", " if (get_language() or "").startswith("en") else "、"


def join_list(items) -> str:
    """The items as strings, joined with the active language's list mark."""
    return list_separator().join(str(item) for item in items)
