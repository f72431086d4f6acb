"""Telegram: aiogram 3 routers and runners that translate updates to core events and back."""
