"""What the help desk refuses, for its callers to tell people."""


class NotFound(Exception):
    pass


class AccessDenied(Exception):
    pass


class InvalidCode(Exception):
    pass


class Closed(Exception):
    pass


class Erased(Closed):
    """Closed because the citizen erased their data (/forget) or it was kept its full time."""


class TakenBy(Exception):
    """Taken by another staff member (`name`): nobody else takes it, and only they release it
    (others may still transfer or close it). `action`: what was refused, "take" or "release"."""

    def __init__(self, request_id: int, name: str, action: str):
        super().__init__(request_id, name, action)
        self.request_id, self.name, self.action = request_id, name, action
