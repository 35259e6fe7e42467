"""Nested scopes for recursion: a child circuit iterated to a fixpoint within one parent time."""

from .distinct import NestedDistinct
from .join import NestedJoin
from .scope import Feedback, Import, Scope, Select

__all__ = ["Scope", "Import", "Feedback", "Select", "NestedJoin", "NestedDistinct"]
