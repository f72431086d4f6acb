"""What the tests share: the fake Telegram and Viber APIs, the one way to start Opora, the
databases of each test worker, and waiting for something to happen (never for time to pass)."""
