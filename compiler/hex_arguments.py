"""The arguments of HEX / TO_HEX and BIN / TO_BINARY (sqllib/hex.py): what DuckDB takes, and the
integer width a negative number is written in.

Laws (DuckDB 2.0's overloads): HEX takes a VARCHAR, a BLOB or an integer of any width (UHUGEINT too);
BIN the same but a BLOB; NULL is NULL.  A FLOAT or DOUBLE is refused though DuckDB answers it (it takes
the arbitrary-precision BIGNUM overload: HEX(-2.5::DOUBLE) is '-2', a sign, not two's complement: not
built); any other type (DECIMAL, DATE, BOOLEAN, lists …) is refused, as DuckDB refuses it.
The width passed on is 64 for integers up to BIGINT and 128 for HUGEINT (two's complement of a negative
number), 0 for text and bytes.
"""

from __future__ import annotations

from .expr import Lit
from .types import INTEGER


def _prepare(binder, node, args, label: str, blob: bool):
    e, = args
    kind = e.type.kind
    if kind == "int":
        bits = e.type.bits
    elif kind == "uhugeint":
        bits = 128
    elif kind in ("text", "null") or (blob and kind == "blob"):
        bits = 0
    else:
        raise binder.error(node, f"{label} of {e.type} is not defined (a VARCHAR{', BLOB' if blob else ''} or an "
                                 f"integer): cast it")
    return [e, Lit(bits, INTEGER)]


def prepare_hex(binder, node, args, label: str):
    return _prepare(binder, node, args, label, blob=True)


def prepare_bin(binder, node, args, label: str):
    return _prepare(binder, node, args, label, blob=False)
