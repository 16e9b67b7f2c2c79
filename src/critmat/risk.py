"""Public namespace of the supply-risk methods: HHI, China share, the CRMA 65 % check, the EU supply-risk
formula, WGI scalings and GeoPolRisk.

The implementation (formulas and sources in the docstrings) lives in :mod:`critmat.models.risk`; this module
only gathers the names users call. Shares are fractions (0..1); HHI is on the 0..1 scale.
"""

from critmat.models.risk import (
                                 CRMA_SINGLE_COUNTRY_LIMIT,
                                 STAGES,
                                 CrmaCheck,
                                 GeoPolRiskResult,
                                 bottleneck,
                                 concentration_table,
                                 country_share,
                                 crma_check,
                                 eu_supply_risk,
                                 eu_supply_risk_frame,
                                 geopolrisk,
                                 hhi,
                                 hhi_wgi_t,
                                 supply_risk_components,
                                 top_share,
                                 wgi_eu_scaled,
                                 wgi_instability,
)

__all__ = ["CRMA_SINGLE_COUNTRY_LIMIT", "STAGES", "CrmaCheck", "GeoPolRiskResult", "bottleneck", "concentration_table",
           "country_share", "crma_check", "eu_supply_risk", "eu_supply_risk_frame", "geopolrisk", "hhi", "hhi_wgi_t",
           "supply_risk_components", "top_share", "wgi_eu_scaled", "wgi_instability"]
