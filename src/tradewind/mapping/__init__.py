"""Layer 2: compile and evaluate flow mappings and filters. Pure: no I/O, no store, no connectors.

A mapping adjusts the native record a target connector encoded (see :mod:`.spec` for the YAML);
expressions use the closed vocabulary of :mod:`.functions`; :mod:`.compiler` compiles once per flow;
:mod:`.preview` shows what a mapping changes.
"""

from tradewind.mapping.compiler import (
    DEFAULT_ROOTS,
    ELEMENT_NAMES,
    CompiledFilter,
    CompiledMapping,
    Expression,
    compile_filter,
    compile_mapping,
)
from tradewind.mapping.functions import FILTERS, FUNCTIONS, TESTS, FunctionDoc, describe
from tradewind.mapping.preview import FieldChange, Preview, diff, preview
from tradewind.mapping.spec import MappingSpec, TableRule, parse_mapping

__all__ = [
    "DEFAULT_ROOTS",
    "ELEMENT_NAMES",
    "FILTERS",
    "FUNCTIONS",
    "TESTS",
    "CompiledFilter",
    "CompiledMapping",
    "Expression",
    "FieldChange",
    "FunctionDoc",
    "MappingSpec",
    "Preview",
    "TableRule",
    "compile_filter",
    "compile_mapping",
    "describe",
    "diff",
    "parse_mapping",
    "preview",
]
