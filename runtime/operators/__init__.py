"""The incremental operators, one module per primitive, named after the math."""

from .aggregate import Aggregate
from .constant import Constant
from .arrange import Arrange
from .delay import Delay
from .differentiate import Differentiate
from .distinct import Distinct
from .filter import Filter
from .flat_map import FlatMap
from .input import Input
from .integrate import Integrate
from .join import Join, make_kernel
from .map import Lifted, Map
from .minus import Minus
from .negate import Negate
from .output import Output
from .plus import Plus
from .semijoin import Semijoin
from .setop import SetOp
from .topk import TopK

__all__ = ["Aggregate", "Arrange", "Constant", "Delay", "Differentiate", "Distinct", "Filter", "FlatMap", "Input",
           "Integrate", "Join", "make_kernel", "Lifted", "Map", "Minus", "Negate", "Output", "Plus",
           "Semijoin", "SetOp", "TopK"]
