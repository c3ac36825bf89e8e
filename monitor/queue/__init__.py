"""Scans as jobs on procrastinate (PostgreSQL): discovery per brand and discoverer, one judgement
per brand, alert delivery and the digest, run by `monitor worker` processes on any host."""
