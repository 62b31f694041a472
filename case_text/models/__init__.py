"""Models of the text core and of what is built on it, one module per package.

Everything is re-exported here: `from case_text.models import X` is the way to import a model.
"""

from case_text.models.resubmission import (  # noqa: F401
    CaseSignature,
    ResemblancePair,
    ResemblanceVerdict,
    SignatureBand,
)
from case_text.models.search import SearchEntry  # noqa: F401
from case_text.models.vectors import CaseVector, TextModel  # noqa: F401
