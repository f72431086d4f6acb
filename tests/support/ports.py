import socket


def free_port() -> int:
    """A port free just now. Someone may take it before it is bound: `OporaProcess` starts again
    on another one then."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
