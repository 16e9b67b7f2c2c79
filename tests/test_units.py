"""The unit registry (critmat.catalog.units): every dictionary unit parses, conversions, lazy pint import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from critmat.catalog import units
from critmat.catalog.fields import field_dictionary
from critmat.errors import DataError


def test_every_field_dictionary_unit_parses():
    found = {f.unit for f in field_dictionary().values() if f.unit}
    assert {"MW", "km", "t/yr", "fraction", "kg/basis"} <= found
    for u in sorted(found):
        units.parse(u)  # raises DataError naming the unit otherwise


@pytest.mark.parametrize("unit", units.CRITMAT_UNITS)
def test_critmat_units_parse(unit):
    units.parse(unit)


def test_share_and_fraction_are_one_dimensionless_unit():
    assert units.parse("share") == units.parse("fraction")
    assert units.same("share", "fraction") and units.dimensionless("share")
    assert units.factor("%", "share") == pytest.approx(0.01)
    assert units.factor("dimensionless", "fraction") == 1.0


def test_conversions():
    assert units.factor("kg", "t") == pytest.approx(1e-3)
    assert units.factor("g", "kg") == pytest.approx(1e-3)
    assert units.factor("kg/MW", "t/MW") == pytest.approx(1e-3)
    assert units.factor("t/MW", "kg/kW") == pytest.approx(1.0)
    assert units.factor("MWp", "MW") == 1.0  # critmat books PV capacity in MWp under capacity_mw
    assert units.factor("g/MW", "kg/MW") == pytest.approx(1e-3)
    assert units.factor("kg/unit", "kg/piece") == 1.0
    assert units.factor("t/yr", "kg/yr") == pytest.approx(1000.0)
    assert units.factor("kt", "t") == pytest.approx(1e3) and units.factor("Mt", "kt") == pytest.approx(1e3)
    assert units.factor("tonnes", "t") == 1.0
    assert units.factor("kg/basis", "t/basis") == pytest.approx(1e-3)
    assert units.factor("um * g/cm^3", "g/m²") == pytest.approx(1.0)
    s = pd.Series([1500.0, 20.0], index=["a", "b"])
    out = units.convert(s, "kg", "t")
    assert list(out.index) == ["a", "b"] and out.tolist() == pytest.approx([1.5, 0.02])
    assert units.convert(np.array([2.0]), "t", "kg").tolist() == pytest.approx([2000.0])
    assert units.convert(7.0, "share", "fraction") == 7.0
    assert units.convert(62.8, "%", "fraction") == 62.8 / 100  # divides: one rounding, as by hand
    assert units.convert(1.1, "kg", "t") == 1.1 / 1000 and units.convert(3.0, "t", "kg") == 3000.0


def test_pv_areal_mass_to_kg_per_mwp():
    from critmat.loaders.pv_ice import areal_to_kg_per_mwp

    # 8 g/m² at 20 % efficiency: 8 g / (0.2 × 1000 W) = 0.04 g/W = 40 kg/MW
    assert areal_to_kg_per_mwp(8.0, "g/m^2", 0.2) == pytest.approx(40.0)


def test_basis_needs_naming_and_bad_units_fail():
    with pytest.raises(DataError, match="cannot convert"):
        units.factor("kg/basis", "t/MW")
    with pytest.raises(DataError, match="cannot convert"):
        units.factor("kg", "MW")
    with pytest.raises(DataError, match="unknown unit 'blorps'"):
        units.parse("blorps")
    with pytest.raises(DataError, match="not a unit"):
        units.parse("")
    assert units.basis_unit("mw") == "MW" and units.basis_unit("unit") == "piece"
    with pytest.raises(DataError, match="technology basis"):
        units.basis_unit("acre")


def test_pint_is_not_imported_at_cli_start_or_model_import():
    code = ("import sys\n"
            "import critmat.models.inventory, critmat.loaders.elma, critmat.loaders.pv_ice\n"
            "from critmat.cli import main\n"
            "sys.argv = ['critmat', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('PINT', 'pint' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "PINT False" in out.stdout


def test_the_written_factors_are_pints():
    """critmat/catalog/unit_factors.py (read by units.factor without building the registry) is what pint
    computes now: regenerate it with `python -m critmat.catalog.units src/critmat/catalog/unit_factors.py`."""
    from pathlib import Path

    from critmat.catalog import unit_factors, units

    assert unit_factors.FACTORS == units.pint_factors()
    assert Path(unit_factors.__file__).read_text(encoding="utf-8") == units.write_factors()
    assert units.factor("kg", "t") == 0.001 and units.factor("g/m^2", "g/m^2") == 1.0
    with pytest.raises(DataError):
        units.factor("kg", "MW")  # not in the table: pint says why
