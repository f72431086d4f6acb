"""Viber: a signed aiohttp webhook, viberbot's request and message models, and an aiohttp sender."""
