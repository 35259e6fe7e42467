"""Every function of the SQL value library in one namespace: what generated code calls (codegen puts
each public name in the environment of the code it compiles) and what the binder names.  The functions
live in the modules by family; this module only gathers them."""

from .aggregate_states import *  # noqa: F401,F403
from .arrays import *  # noqa: F401,F403
from .binary import *  # noqa: F401,F403
from .binning import *  # noqa: F401,F403
from .casts import *  # noqa: F401,F403
from .dates import *  # noqa: F401,F403
from .errors import try_value  # noqa: F401
from .fmath import *  # noqa: F401,F403
from .formatting import *  # noqa: F401,F403
from .hex import *  # noqa: F401,F403
from .list_aggregates import *  # noqa: F401,F403
from .lists import *  # noqa: F401,F403
from .maps import *  # noqa: F401,F403
from .nested import *  # noqa: F401,F403
from .numbers import *  # noqa: F401,F403
from .paths import *  # noqa: F401,F403
from .patterns import *  # noqa: F401,F403
from .similarity import *  # noqa: F401,F403
from .strings import *  # noqa: F401,F403
from .string_ranges import *  # noqa: F401,F403
from .structs import *  # noqa: F401,F403
from .vectors import *  # noqa: F401,F403
from .real import *  # noqa: F401,F403
from .timestamp_units import cast_timestamp_unit  # noqa: F401
from .timetz import cast_timetz, timetz_time  # noqa: F401
