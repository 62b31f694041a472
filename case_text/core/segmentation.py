"""Chinese text into words: jieba with the reform vocabulary, stop words dropped.

`tokenize` is a pure function of its text (the same text always gives the same tokens in every
process): jieba's HMM guesser for unknown words is off, because its guesses depend on nothing
we keep in the repository and a refit must be reproducible from the cases alone.

jieba loads its dictionary (≈0.8 s, cached under the temporary directory) once per process, on
the first call, under a lock so that two threads of one worker do not both load it. The user
dictionary (`userdict.txt`, "word frequency tag" per line) keeps the reform vocabulary whole:
最多跑一次 is one token, not 最多 / 跑 / 一次.
"""

import logging
import re
import threading
import unicodedata
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
USER_DICTIONARY = HERE / "userdict.txt"
STOP_WORDS_FILE = HERE / "stopwords.txt"

# A token worth keeping has at least one letter or CJK character (punctuation, spaces and
# numbers have none) …
_HAS_WORD_CHARACTER = re.compile(r"[^\W\d_]")
# … and is not a number written with digits, separators and a unit sign (2021, 3.5%, 1,000).
_NUMBER = re.compile(r"^[\d.,%+\-/:]+$")

_lock = threading.Lock()
_tokenizer = None


def _load_tokenizer():
    import jieba

    # jieba announces its dictionary loading at DEBUG through the root of its own logger.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    tokenizer.load_userdict(str(USER_DICTIONARY))
    return tokenizer


def _get_tokenizer():
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = _load_tokenizer()
    return _tokenizer


@cache
def stop_words() -> frozenset[str]:
    lines = STOP_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def normalise(text: str) -> str:
    """Full-width letters and digits folded to ASCII (ＡＢＣ１２ → ABC12), ASCII lower-cased."""
    return unicodedata.normalize("NFKC", text or "").lower()


def keep(token: str) -> bool:
    """Whether a token carries meaning: two characters or more, a word character, not a
    number, not a stop word."""
    return (
        len(token) > 1
        and _HAS_WORD_CHARACTER.search(token) is not None
        and not _NUMBER.match(token)
        and token not in stop_words()
    )


def tokenize(text: str) -> list[str]:
    """The words of `text` in order, repeated as often as they occur.

    >>> tokenize("推行“最多跑一次”改革,群众办事ABC平台2021年")
    ['推行', '最多跑一次', '改革', '群众', '办事', 'abc', '平台']
    """
    text = normalise(text)
    if not text.strip():
        return []
    tokens = _get_tokenizer().lcut(text, HMM=False)
    return [token for token in (t.strip() for t in tokens) if keep(token)]
