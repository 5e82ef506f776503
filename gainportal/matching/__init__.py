"""Cross-matching of partner answers against the nominal register (DESIGN.md sections 5 and 8).

Pure Python: no Flask, no database. The service layer feeds it visible nominals only.
"""
