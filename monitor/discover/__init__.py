"""Discovery: everything that yields candidates (registry.py) and the page readers (readers.py)."""
