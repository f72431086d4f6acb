"""Every module with tables, imported: after `from bot.storage.models import metadata` the
metadata holds the whole schema (for `create_all`, and for a new migration to compare with)."""

import bot.core.state
import bot.helpdesk.accounts
import bot.helpdesk.models
import bot.web.inbox
import bot.web.sessions
import catalog.models
from bot.storage.base import Base

MODULES = (
    catalog.models,
    bot.core.state,
    bot.helpdesk.models,
    bot.helpdesk.accounts,
    bot.web.inbox,
    bot.web.sessions,
)
metadata = Base.metadata

__all__ = ["MODULES", "Base", "metadata"]
