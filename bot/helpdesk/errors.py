"""What the help desk refuses, for its callers to tell people."""


class NotFound(Exception):
    pass


class AccessDenied(Exception):
    pass


class InvalidCode(Exception):
    pass


class Closed(Exception):
    pass


class TakenBy(Exception):
    """Taken by another staff member (`name`): only they release it; others may transfer or close it."""

    def __init__(self, request_id: int, name: str):
        super().__init__(request_id, name)
        self.request_id, self.name = request_id, name
