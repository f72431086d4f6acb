"""The answer engine: from a free-text question to an intent and ranked services and offices."""
