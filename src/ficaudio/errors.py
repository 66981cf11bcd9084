"""The exceptions ficaudio raises for problems a user can fix.

The CLI turns every FicaudioError into a one-line message; anything else is a bug.
"""


class FicaudioError(Exception):
    """Base class: a problem with the user's input, configuration or machine."""


class InputError(FicaudioError):
    """The story file cannot be read or holds no story."""


class VoicesError(FicaudioError):
    """voices.yaml is malformed, or names something that does not exist."""


class EngineError(FicaudioError):
    """A speech engine is missing, unknown, or failed."""


class OutputError(FicaudioError):
    """The output cannot be written."""


class CacheError(OutputError):
    """The render cache cannot be read or written."""


class ScriptError(FicaudioError):
    """An edited script cannot be read back."""


class FeedError(FicaudioError):
    """A podcast feed cannot be built from the output folder, or cannot be served."""


class ClusterError(FicaudioError):
    """Ray is missing, or the cluster given with --cluster cannot be reached."""


def first_line(exc: BaseException, limit: int | None = None) -> str:
    """What an exception from elsewhere (an engine, Ray) says, fit for a one-line message."""
    said = str(exc).strip().splitlines()
    return said[0][:limit] if said else type(exc).__name__
