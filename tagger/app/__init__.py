"""The web apps: `tagger label` (Starlette routes over a labelling session, its queues, the checks
every save passes, the suggest queue retrained in the background) and `tagger browse` (an
archive's page and its corrections), with the templates, static files and guard stack they share."""
