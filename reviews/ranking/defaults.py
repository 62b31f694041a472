"""Ranking defaults read by the models: a module of its own so that the models load without
NumPy (ranking/statistics.py imports it), which a web or Celery process may never need."""

# The standard deviation of a case's review totals above which its reviewers disagree; a
# campaign may set its own (RankingConfig).
DEFAULT_DISAGREEMENT_SD = 15.0
