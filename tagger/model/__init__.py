"""The model: tagging (never imports training), sentence scores, predictions and their evidence,
explanations, priors; training, the per-fold features and the settings search, the sentence
scorers learnt from evidence; thresholds, Platt scaling, F1 and its intervals; drift (the counts,
the training baseline, the bounds and the report); training documents' hashes and dates; model
files, their schema and fingerprint."""
