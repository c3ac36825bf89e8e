"""A small built-in sample web on loopback: search answers and pages with planted fakes."""
