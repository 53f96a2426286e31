"""Public names of a package imported on first use (PEP 562).

``import umkm_alloc`` (and ``umkm-alloc --help``) stays fast, and a worker process can import
``umkm_alloc.allocate.solve`` or ``umkm_alloc.routes.trips`` without pandas and the rest of the
pipeline. Only :mod:`importlib` and :mod:`sys` are imported here (not :mod:`typing`).
"""

from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


def lazy_names(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a package's ``__getattr__`` and ``__dir__`` for names defined elsewhere.

    Parameters
    ----------
    package
        The package's ``__name__``.
    homes
        Public name -> the module that defines it; a name is imported from there on first use
        and then kept in the package.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)``, to assign at module level.
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(homes))

    return __getattr__, __dir__
