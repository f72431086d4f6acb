"""What the help desk refuses, for its callers to tell people."""


class NotFound(Exception):
    pass


class AccessDenied(Exception):
    pass


class InvalidCode(Exception):
    pass


class Closed(Exception):
    pass
