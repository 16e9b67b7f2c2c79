"""Country groupings used by the models (facts, with their source)."""

from __future__ import annotations

# EU member states since 1 February 2020 (source: iso_3166 registry entry / europa.eu "EU countries").
EU27: frozenset[str] = frozenset({
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL", "ITA",
    "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE"})
