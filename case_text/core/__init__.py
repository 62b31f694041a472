"""Text processing without queries: segmentation (segmentation.py), a case's text and weights
(documents.py), the TF-IDF model and sparse vectors (vectors.py; only current_model() reads
the database: the one current TextModel row)."""
