"""Labelling: the label database and its migrations, which tab gets which article, one label
per document resolved from the log (and exported, imported), label files, the tag schema,
and how far annotators agree."""
