"""Personal copies of attachments: a file served to one reader differently from the stored one.

`reviews` registers here, at start-up, the maker of an expert's watermarked copy (the
reader's name, the time and a traceable code on every page); `reform_cases` knows no
reviewer. The shared download view asks `personal_copy` before streaming the stored file:
a maker answers with the copy's bytes (and has logged the download itself, with the code),
or None when the file is served (and logged) as stored: not an expert, not a PDF, a PDF
that cannot be read.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PersonalCopy:
    data: bytes


_makers: list[Callable] = []


def register_copy_maker(maker: Callable) -> None:
    """`maker(*, attachment, user, ip_address) -> PersonalCopy | None`."""
    if maker not in _makers:
        _makers.append(maker)


def personal_copy(*, attachment, user, ip_address) -> PersonalCopy | None:
    for maker in _makers:
        copy = maker(attachment=attachment, user=user, ip_address=ip_address)
        if copy is not None:
            return copy
    return None
