"""The text of cases as numbers: segmentation, a TF-IDF model, case vectors (core/), and what
is built on them (resubmission/, search/)."""
