"""Repeated-submission detection (重复申报): has this case been submitted before, perhaps
under another title, by this or another organisation, this year or an earlier one?

Not the resubmission of a returned case after revision (that is the same case, and it is never
compared with itself).

The method, each step in its own module:

1. `text.py` — the case's text without its title (a repeated submission changes the title
   first), summary and sections normalised (width-folded, lower case, punctuation and spaces
   removed, every run of digits folded to one "0" so updated figures do not hide a copy), cut
   into overlapping character shingles of `SHINGLE_SIZE` characters.
2. `signatures.py` — a MinHash signature of the shingle set (datasketch, `NUM_PERM`
   permutations, a fixed seed) and its LSH band keys: `BANDS` bands of `ROWS` rows, each band
   hashed with its number into one 64-bit key. The keys are rows of `SignatureBand` with an
   index, so the candidates of a new case come from one indexed query and no index is held in
   memory.
3. `services.detect_resubmission` — the candidates' estimated Jaccard similarity from their
   stored signatures; for those that could reach the threshold, the exact Jaccard similarity of
   the two shingle sets; a pair at or above `THRESHOLD` is stored as a `ResemblancePair`
   with its shared passages.
4. `passages.py` — the shared passages: sentences (split on 。!?;and line ends) of one
   case that nearly equal a sentence of the other; their spans in both texts are stored with
   the pair so that the side-by-side page only renders them.

The numbers (shingle size, bands, threshold) are chosen on a planted set by
`bench/resubmission.py`; its figures are in BENCHMARKS.md.
"""
