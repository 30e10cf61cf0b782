from .tools import create_org, create_position, create_user  # noqa: F401
