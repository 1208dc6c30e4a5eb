"""VADER 3.3.2 (C.J. Hutto, MIT; LICENSE.txt here), vendored unchanged but for its demo.

``vader_sentiment.py`` is lines 1-513 of the wheel's ``vaderSentiment.py`` (the ``__main__``
demo, which imports ``requests`` and ``nltk``, is left out); the two lexicon files are the
wheel's. The project reads it through ``surveys.sentiment.valence``.
"""
