"""Screenshots of public pages by headless Chromium behind a filtering proxy, kept as evidence."""
