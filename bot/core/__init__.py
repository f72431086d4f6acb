"""The channel-neutral conversation core. It never imports aiogram or viberbot."""
