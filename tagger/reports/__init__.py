"""Reports of an evaluation: a text table and a self-contained HTML page."""
