"""The one typed settings object. Every key is an environment variable with the OPORA_ prefix."""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from catalog import SEED_DATA


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPORA_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/opora.sqlite3"
    catalog_path: Path = SEED_DATA
    default_language: str = "bg"

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"  # or a self-hosted Bot API server
    telegram_webhook_url: str | None = None  # webhook mode when set, long polling otherwise
    telegram_webhook_secret: SecretStr | None = None  # derived from the token when unset
    viber_token: SecretStr | None = None
    viber_api_url: str = "https://chatapi.viber.com/pa"
    viber_webhook_url: str | None = None
    viber_bot_name: str = "Opora"
    viber_bot_avatar: str | None = None  # an image URL shown with the bot's messages
    web_chat: bool | None = None  # the web chat and the /staff view; by default on when no bot token is set
    # Where staff open Opora, for the one-time links of staff accounts (`opora staff add`), e.g.
    # https://opora.example.org; by default http://OPORA_HTTP_HOST:OPORA_HTTP_PORT.
    public_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    redis_url: str | None = None
    log_format: Literal["text", "json"] = "text"  # json: one object per line, for log collectors

    staff_reminder_hours: float = 4.0  # working hours before staff are reminded of an unanswered request
    retention_days: int = 90  # personal data of closed requests is erased after this
    # While a person's open request has a staff reply younger than this, what they type goes to
    # that request (with a one-tap "this is a new question"). 72 h: a reply read on Friday is
    # still answered on Monday; an older conversation has most likely moved on.
    follow_up_hours: float = 72.0

    # Limits per person (a Telegram or Viber user, a web chat session), each one or more moving
    # windows as "N/second|minute|hour|day", separated by ";"; an empty value turns one off.
    limit_turns: str = "40/minute;600/hour"  # messages and button presses; over it: "please wait a minute"
    limit_requests: str = "10/hour;30/day"  # help requests sent
    limit_messages: str = "30/hour"  # messages added to sent requests
    # Web chat messages from one address, all its browsers together: a library or an office
    # shares one address, so this is far above one person's (30 help requests an hour fit).
    limit_web_address: str = "1200/hour"
    # The Bot API's own limits on what Opora sends, for every worker together (bot/coordination.py)
    telegram_limit_chat: str = "5/5 seconds"
    telegram_limit_group: str = "20/minute"
    telegram_limit_overall: str = "30/second"
    # A failed send is tried again after this × 2 ** attempts seconds, at most 10 minutes (bot/helpdesk/outbox.py)
    outbox_retry_seconds: float = 1.0
    web_head_seconds: float = 10.0  # for a request's head, and between requests on one connection (bot/web/guard.py)
    draft_hours: float = 24.0  # a help-request draft never sent is deleted after this, with all it holds
    idle_state_days: int = 30  # a conversation nobody continued for this long is forgotten

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")
