"""Small values read on every page, kept in the shared cache until their rows change.

`cached("rubric", campaign.pk, compute)` returns `compute()`'s value, from the cache when it
is current; `invalidate("rubric", campaign.pk)` marks it stale, for every worker (Redis in
production; local memory in tests and in a one-process server).

Each name and key has a generation token of its own, stored without expiry; a value is stored
with the token read *before* it was computed and served only while that token is still the
current one. `invalidate` replaces the token at once and again when the transaction commits.
So a worker that read the rows before a change committed, and stores its value after the
change, stores it under the old token, which nobody serves: no stale value outlives a
commit, without locks, on any cache backend (local memory has no key patterns to delete).
Costs one round trip (`get_many`) on a hit.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

DEFAULT_TIMEOUT = 3600  # seconds: values are dropped eventually even if nothing changes


def _keys(name: str, key) -> tuple[str, str]:
    return f"{name}:gen:{key}", f"{name}:value:{key}"


def cached(name: str, key, compute, *, timeout: int = DEFAULT_TIMEOUT):
    """`compute()`, or its cached value while no `invalidate(name, key)` happened since."""
    generation_key, value_key = _keys(name, key)
    found = cache.get_many([generation_key, value_key])
    generation = found.get(generation_key)
    if generation is None:
        token = uuid.uuid4().hex
        generation = token if cache.add(generation_key, token, timeout=None) else None
        if generation is None:  # another worker set it first
            generation = cache.get(generation_key)
    stored = found.get(value_key)
    if generation is not None and stored is not None and stored[0] == generation:
        return stored[1]
    value = compute()
    if generation is not None:
        cache.set(value_key, (generation, value), timeout=timeout)
    return value


def invalidate(name: str, key) -> None:
    """Every worker recomputes `name`/`key` from now on, and again after this transaction."""
    generation_key, _value_key = _keys(name, key)

    def bump():
        cache.set(generation_key, uuid.uuid4().hex, timeout=None)

    bump()  # readers inside this transaction (and tests, whose transactions never commit)
    transaction.on_commit(bump)  # readers that read the rows before the commit


def invalidate_many(name: str, keys) -> None:
    """`invalidate` for several keys in one round trip each time."""
    generation_keys = [_keys(name, key)[0] for key in keys]
    if not generation_keys:
        return

    def bump():
        cache.set_many({k: uuid.uuid4().hex for k in generation_keys}, timeout=None)

    bump()
    transaction.on_commit(bump)
