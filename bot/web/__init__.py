"""The local web chat (for citizens) and the staff view: a channel like Telegram and Viber."""
