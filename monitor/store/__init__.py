"""Persistence: ORM models, engine and sessions, repositories."""
