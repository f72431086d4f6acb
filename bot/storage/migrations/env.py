"""Alembic's environment. bot.storage.migrate runs it with an open connection in
`config.attributes["connection"]` (the engines are async: it goes through `connection.run_sync`)
and, to autogenerate a revision, the complete metadata in `config.attributes["target_metadata"]`."""

from alembic import context

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=context.config.attributes.get("target_metadata"),
    render_as_batch=True,  # SQLite alters a table only by copying it, which batch mode does
)
with context.begin_transaction():
    context.run_migrations()
