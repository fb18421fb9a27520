"""dlgrade: the grading engine and the ``dlgrade`` command line."""

from __future__ import annotations

import importlib.util
import sys
import types

__version__ = "0.1.0.dev0"

# nbformat validates notebooks with jsonschema, which imports rfc3987_syntax (when installed) to
# check the "uri"/"iri" string formats; that module compiles a lark grammar at import, 1 to 2.5 s
# here, more than the rest of a grading run's start-up. nbformat's schema uses no such format, so
# dlgrade's processes skip the import (jsonschema then leaves those formats unchecked).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _nbgrader_without_its_server_extensions() -> None:
    """Make ``nbgrader`` a bare package whose submodules import as usual.

    ``nbgrader/__init__.py`` imports its four Jupyter server extensions (jupyter_server, tornado,
    the exchange, ...), about 1 s of every dlgrade process's start-up, though dlgrade only uses
    ``nbgrader.api``, the preprocessors and the apps, which never need the package's own module
    body. A process that is a Jupyter server imports nbgrader before dlgrade and is left alone.
    """
    if "nbgrader" in sys.modules:
        return
    spec = importlib.util.find_spec("nbgrader")
    if spec is None or not spec.submodule_search_locations:
        return
    package = types.ModuleType("nbgrader", "A system for assigning and grading notebooks.")
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__spec__ = spec
    package.__package__ = "nbgrader"
    sys.modules["nbgrader"] = package
    try:
        from nbgrader._version import __version__ as version
    except ImportError:  # not the nbgrader we know: import it the ordinary way
        del sys.modules["nbgrader"]
        return
    package.__version__ = version  # type: ignore[attr-defined]


_nbgrader_without_its_server_extensions()
