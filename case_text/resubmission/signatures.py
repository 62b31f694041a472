"""MinHash signatures of shingle sets and their LSH band keys. Pure functions of arrays.

A signature is `NUM_PERM` 32-bit minima (datasketch's affine32 scheme, seed `SEED`), stored
as little-endian uint32 bytes. The chance that two sets agree on one minimum is their Jaccard
similarity J, so the share of equal entries estimates J (standard error √(J(1−J)/128) ≈ 0.04
at J = 0.3).

LSH: the signature is cut into `BANDS` bands of `ROWS` rows; two cases become candidates when
they agree on a whole band, which happens with probability 1 − (1 − J^ROWS)^BANDS. With 42
bands of 3 rows: 0.996 at J = 0.5 (the threshold, services.py), 0.94 at 0.4, 0.68 at 0.3, 0.29
at 0.2 — a pair at the threshold is a candidate with near certainty, while most cases that
merely share a topic are not fetched at all; the stored signatures then sort out the
candidates cheaply. Each band's key is a 64-bit hash of its number and its values, so one
indexed column holds every band.
"""

import hashlib
from functools import lru_cache

import numpy as np

from case_text.resubmission.text import SHINGLE_SIZE

NUM_PERM = 128
SEED = 18  # fixed: signatures are stored and compared across processes and years
SCHEME = "affine32"
BANDS = 42
ROWS = 3
assert BANDS * ROWS <= NUM_PERM  # the last two minima serve the estimate only

# Everything a stored signature depends on besides the text (text.content_hash includes it):
# change a number, or the normalisation (raise the last figure), and every signature is
# recomputed by the next detection or `index_resubmissions`.
METHOD = f"k{SHINGLE_SIZE}-p{NUM_PERM}-s{SEED}-{SCHEME}-b{BANDS}x{ROWS}-n1"

SIGNATURE_BYTES = NUM_PERM * 4
_DTYPE = np.dtype("<u4")


def _minhash_class():
    # Imported on first use: datasketch's package imports SciPy (its LSH classes), ≈ 60 MB
    # that a web or Celery process which never signs a case should not carry.
    from datasketch import MinHash

    return MinHash


@lru_cache(maxsize=1)
def _permutations():
    # Drawing the permutations from the seed takes longer than hashing a case: once per process.
    MinHash = _minhash_class()
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def signature(shingles) -> np.ndarray:
    """The MinHash signature (uint32 × NUM_PERM) of a set of strings."""
    MinHash = _minhash_class()
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations())
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    return minhash.hashvalues.astype(_DTYPE)


def to_bytes(sig: np.ndarray) -> bytes:
    return np.asarray(sig, dtype=_DTYPE).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=_DTYPE)


def stack(blobs) -> np.ndarray:
    """Stored signatures as one (n × NUM_PERM) array."""
    if not blobs:
        return np.empty((0, NUM_PERM), dtype=_DTYPE)
    return np.frombuffer(b"".join(bytes(b) for b in blobs), dtype=_DTYPE).reshape(-1, NUM_PERM)


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (the database's BIGINT), from the band's number and rows."""
    rows = np.asarray(sig, dtype=_DTYPE)[: BANDS * ROWS].reshape(BANDS, ROWS)
    keys = []
    for number, band in enumerate(rows):
        digest = hashlib.blake2b(number.to_bytes(2, "little") + band.tobytes(), digest_size=8)
        keys.append(int.from_bytes(digest.digest(), "little", signed=True))
    return keys


def estimated_jaccard(sig: np.ndarray, others: np.ndarray) -> np.ndarray:
    """The share of equal minima between `sig` and each row of `others`."""
    if not len(others):
        return np.empty(0)
    return (others == np.asarray(sig, dtype=_DTYPE)).mean(axis=1)
