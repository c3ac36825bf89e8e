"""The officers' web console: server-rendered pages and a JSON API over the shared store."""
