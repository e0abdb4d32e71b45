"""Analysis: cross-validation (how good a set-up is) and the error page (where a model goes wrong).

Modules: :mod:`~nerkit.analysis.crossval` (k-fold cross-validation, mean and spread of F1)
and :mod:`~nerkit.analysis.error_page` (an HTML page of error kinds, plots and examples).
"""

from .crossval import CrossValidation, FoldPlan, cross_validate, run_fold
from .error_page import write_error_page

__all__ = ["FoldPlan", "CrossValidation", "cross_validate", "run_fold", "write_error_page"]
