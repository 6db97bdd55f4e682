"""Presentation: text, tables, HTML (the report, the sheets) and the French/English wording.

The analyses (:mod:`pmae.analysis`) compute and return data; the modules here turn that data
into what people read. Nothing here computes an analysis, and nothing below imports from here.
"""
