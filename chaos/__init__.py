"""Fault campaign: the real stack on its own ports and database, faults injected, money checked.

``python -m chaos`` (full, about 10-15 minutes) or ``python -m chaos --quick`` (about 3 minutes).
See docs/RELIABILITY.md. Nothing here is imported by the application.
"""
