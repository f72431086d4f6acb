"""The declarative base of the bot's own tables: conversation state, the help desk, the web
inbox and web sessions. The catalogue has its own (`catalog.models.Base`) and knows nothing of
these; the two share one MetaData because they share one database, one `create_all` and one
migration history. No table of one refers to a table of the other by a foreign key."""

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase

from catalog.models import Base as CatalogBase


class Base(DeclarativeBase):
    metadata = CatalogBase.metadata
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}
