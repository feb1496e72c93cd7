"""The library's own log records — connects, reconnects, retries with their
cause — in Python's ``logging``, under the ``temporal_bridge`` logger (its
``temporal_bridge.client`` / ``.transport`` origin and the record's
structured fields are in ``record.temporal_bridge_target`` and
``record.temporal_bridge_fields``). By default only warnings and errors are
passed on; ``set_level`` changes that. Records never carry secrets or
payload contents::

    import logging
    from temporal_bridge import logs
    logging.basicConfig(level=logging.INFO)
    logs.set_level("info")        # connects and reconnects too
"""

from __future__ import annotations

import logging

from . import _native

__all__ = ["LOGGER", "disable", "set_level"]

LOGGER = logging.getLogger("temporal_bridge")

_NAMES = {"error": "error", "warning": "warn", "warn": "warn", "info": "info", "debug": "debug", "trace": "trace"}


def _name_of(level: str | int) -> str:
    if isinstance(level, bool):
        raise TypeError("level must be a name or a logging level number, got bool")
    if isinstance(level, int):
        if level >= logging.ERROR:
            return "error"
        if level >= logging.WARNING:
            return "warn"
        if level >= logging.INFO:
            return "info"
        return "debug" if level >= logging.DEBUG else "trace"
    if isinstance(level, str) and level.lower() in _NAMES:
        return _NAMES[level.lower()]
    raise ValueError(f"level must be one of error, warning, info, debug, trace or a logging level, got {level!r}")


def set_level(level: str | int) -> None:
    """Passes on the library's records at ``level`` and above (a name, or a
    ``logging`` level such as ``logging.INFO``)."""
    _native.configure_logging(_name_of(level))


def disable() -> None:
    """Passes on no records at all."""
    _native.configure_logging("warn", enabled=False)
