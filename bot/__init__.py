"""Opora: the conversation core, its channels and the composition root."""
