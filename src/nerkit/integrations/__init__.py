"""nerkit inside other libraries' pipelines; each module imports its library, an optional extra.

:mod:`~nerkit.integrations.spacy_component`: the ``"nerkit"`` pipeline component of spaCy
(``pip install nerkit[spacy]``), found through spaCy's entry points without an import.
"""
