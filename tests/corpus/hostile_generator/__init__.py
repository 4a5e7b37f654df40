"""The generator of the hostile-input corpus, by family of input; run through
tests/corpus/make_hostile.py, which says what the corpus is."""
