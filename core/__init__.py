"""Cunwu (村务): the framework and the three core domains (register, meetings, notice board).

Plugins import `hookimpl` from here; `API_VERSION` is what a plugin's manifest `requires` range is checked against.
"""

import pluggy

__version__ = "0.1.0"
API_VERSION = "1.0"

hookspec = pluggy.HookspecMarker("cunwu")
hookimpl = pluggy.HookimplMarker("cunwu")

__all__ = ["API_VERSION", "__version__", "hookimpl", "hookspec"]
