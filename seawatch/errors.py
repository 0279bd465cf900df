"""One exception tree for the whole package; the API and CLI map it to answers in one place each."""


class SeawatchError(Exception):
    """Base of every error Seawatch raises on purpose."""


class InputError(SeawatchError):
    """An input file or stream cannot be used at all (missing, unreadable, unknown format)."""


class ConfigError(SeawatchError):
    """A settings, config, zones or scenario file is invalid; the message names the file and the problem."""


class NotFoundError(SeawatchError):
    """A requested object (vessel, zone, case, user...) does not exist."""


class PermissionDenied(SeawatchError):
    """The caller's role does not allow the action."""


class ShareError(SeawatchError):
    """A shared item failed verification or policy."""
