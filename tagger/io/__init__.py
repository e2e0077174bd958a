"""Files in and out: bytes to text; documents and their checks (msgspec records) and the reader
registry; web pages parsed under bounds; the one record layout of every output, the output-format
registry and its writers, typed Parquet; the SQLite archive, an archive's ids to add to, any archive
loaded into a SQLite one; SQLite files looked at read-only before they are written; atomic, checked
file writing and locks."""
