"""What a person reads: text tables and the model summary, the row formats, the self-contained HTML
evaluation report, the explanation views and the model card (Jinja2 templates)."""
