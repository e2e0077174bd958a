"""Files in and out: documents, tag schemas, labels, prediction writers, safe file writing."""
