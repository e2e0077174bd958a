"""Files in and out: documents, prediction writers, archives, safe file writing."""
