"""The catalog: source registry, field dictionary and data-package specs.

One home for metadata. Schemas (Frictionless descriptors, load-time checks) are *generated* from the
field dictionary here, never written by hand elsewhere.
"""

from critmat.catalog.fields import Field, field_dictionary
from critmat.catalog.sources import Source, source_registry

__all__ = ["Field", "Source", "field_dictionary", "source_registry"]
