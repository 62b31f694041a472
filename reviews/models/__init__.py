"""Models of the expert review, one module per domain.

Everything is re-exported here: `from reviews.models import X` is the way to import a model.
"""

from reviews.models.assignment import (
    Assignment,
    AssignmentStatus,
    Conflict,
    ConflictSource,
)
from reviews.models.bundles import BundleStatus, CommitteeBundle
from reviews.models.matching import ExpertVector
from reviews.models.panels import (
    ExpertProfile,
    Panel,
)
from reviews.models.ranking import (
    RankingBasis,
    RankingConfig,
    RankingEntry,
    RankingFlag,
    TierOverride,
)
from reviews.models.rounds import (
    Criterion,
    ReviewRound,
    RoundEvent,
    RoundEventKind,
    Visibility,
)
from reviews.models.scoring import (
    Pledge,
    ReminderKind,
    ReminderSent,
    Review,
    ReviewEvent,
    ReviewEventKind,
    ReviewStatus,
    Score,
)

__all__ = [
    "Assignment",
    "AssignmentStatus",
    "BundleStatus",
    "CommitteeBundle",
    "Conflict",
    "ConflictSource",
    "Criterion",
    "ExpertProfile",
    "ExpertVector",
    "Panel",
    "Pledge",
    "RankingBasis",
    "RankingConfig",
    "RankingEntry",
    "RankingFlag",
    "ReminderKind",
    "ReminderSent",
    "Review",
    "ReviewEvent",
    "ReviewEventKind",
    "ReviewRound",
    "ReviewStatus",
    "RoundEvent",
    "RoundEventKind",
    "Score",
    "TierOverride",
    "Visibility",
]
