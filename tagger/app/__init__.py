"""The labelling web app of `tagger label`."""
