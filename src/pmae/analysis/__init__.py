"""Analyses of a bundle: summaries now; orientation, coverage and the shared diagnosis later."""
