"""CSV outputs that are safe to open in a spreadsheet.

Text copied from inputs (officer ids, police.uk locations, LSOA names, crime
types) ends up in the CSV files hotspot-sim writes.  A cell that starts with
``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is run as a formula by
Excel, LibreOffice and Google Sheets ("CSV injection"), so such text cells, and
such column names, are written with a leading single quote, which spreadsheets
show as text.  Numbers are written as they are (a negative number is not text).
Every CSV the package writes for people goes through :func:`write_csv`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula.

    Examples
    --------
    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("On or near High Street"), safe_cell(-3)
    ('\\'=HYPERLINK("http://x")', 'On or near High Street', -3)
    """
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names cannot run as formulas."""
    out = df.rename(columns=safe_cell)
    for i, dtype in enumerate(out.dtypes):
        if dtype == object or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out.isetitem(i, out.iloc[:, i].map(safe_cell))
    return out


def write_csv(df: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """Write ``df`` as CSV (no index unless asked) with :func:`spreadsheet_safe` cells."""
    kwargs.setdefault("index", False)
    spreadsheet_safe(df).to_csv(path, **kwargs)
    return Path(path)
