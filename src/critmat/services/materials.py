"""Materials: the EU CRM lists with SR/EI, and one material's profile (lists, SR/EI since 2011, suppliers per
stage, HHI, China's share, CRMA flags, export controls), each figure with its source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from critmat.services.base import Result
from critmat.services.context import answer

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource

LIST_TITLES = {"2023": "EU critical raw materials 2023 (COM(2023)160; Reg. (EU) 2024/1252 Annex II)",
               "srm": "Strategic raw materials (Reg. (EU) 2024/1252 Annex I)", "all": "All materials"}


@answer
def material_list(wh: TableSource, which: str = "2023") -> Result:
    """Materials of a list (2023 | srm | all) with their list memberships and 2023 SR and EI."""
    from critmat.errors import UnknownIdError
    from critmat.knowledge import list_materials

    if which not in LIST_TITLES:
        raise UnknownIdError(f"list '{which}' is not one of {', '.join(LIST_TITLES)}")
    df = list_materials(wh, which)  # type: ignore[arg-type]
    return Result(df, title=f"{LIST_TITLES[which]} — {len(df)}",
                  caption="SR/EI: EC 2023 CRM study, Annex 4. `critmat materials show NAME` for a profile.",
                  units={"sr": "1", "ei": "1"}, sources=["ec_crm_2023"], params={"list": which})


@answer
def profile(wh: TableSource, name: str) -> Result:
    """One material's profile: ``doc`` = the whole profile; ``frame`` = its supplier rows (material_id,
    stage, scope, country, share 0..1, source_id)."""
    import pandas as pd

    from critmat.knowledge import material_profile

    prof = material_profile(wh, name)
    supply = pd.DataFrame(prof["supply"])
    supply.insert(0, "material_id", prof["id"])
    return Result(supply, title=str(prof.get("name", prof["id"])), units={"share": "1"},
                  sources=sorted(set(supply["source_id"].dropna())) if "source_id" in supply else [],
                  params={"material": prof["id"]}, doc=prof)
