"""dlgrade: the grading engine and the ``dlgrade`` command line."""

from __future__ import annotations

import sys

__version__ = "0.1.0.dev0"

# nbformat validates notebooks with jsonschema, which imports rfc3987_syntax (when installed) to
# check the "uri"/"iri" string formats; that module compiles a lark grammar at import, 1 to 2.5 s
# here, more than the rest of a grading run's start-up. nbformat's schema uses no such format, so
# dlgrade's processes skip the import (jsonschema then leaves those formats unchecked).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
