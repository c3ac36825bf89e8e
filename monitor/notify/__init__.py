"""Notifications: instant alerts (e-mail, JSON webhook) through an outbox, and the digest's rendering."""
