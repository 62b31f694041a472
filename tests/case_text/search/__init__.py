"""Full-text search (issue 18): the index, both backends, the public and the office's page."""
