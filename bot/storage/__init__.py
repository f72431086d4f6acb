"""The database: the engine and its one-writer guard on SQLite (`engine`), the migrations
(`migrate`, `migrations/`), and the declarative base of the bot's own tables (`base`).
`models` imports every module with tables, so that one import completes the metadata."""
