"""drillbook: runbooks as tested code."""

from drillbook.errors import DrillbookError, LoadError

__version__ = "0.1.0"

__all__ = ["DrillbookError", "LoadError", "__version__"]
