"""Seeds: hand-kept CSV files under ``transforms/seeds/`` loaded as tables.

The file is checked with Python's csv module first, so a ragged row is reported
as "file, line, fields found vs header" rather than a DuckDB sniffer message.
"""

from __future__ import annotations

import csv
from pathlib import Path

from warehouse.errors import ModelError


def validate_seed(path: Path, display: str) -> list[str]:
    """Return the header of a well-formed seed CSV, or raise naming the first bad line."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                raise ModelError(f"{display}: seed has no header row")
            duplicates = sorted({h for h in header if header.count(h) > 1})
            if duplicates:
                raise ModelError(f"{display}: duplicate column(s) in header: {', '.join(duplicates)}")
            for row in reader:
                if row and len(row) != len(header):
                    raise ModelError(
                        f"{display}:{reader.line_num}: row has {len(row)} field(s), the header has {len(header)}"
                    )
    except UnicodeDecodeError as exc:
        raise ModelError(f"{display}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise ModelError(f"{display}: malformed CSV: {exc}") from None
    return header


def seed_select_sql(path: Path) -> str:
    """SQL that reads the seed; strings stay strings unless every value parses as a number or date."""
    quoted = str(path).replace("'", "''")
    return f"SELECT * FROM read_csv('{quoted}', header = true, auto_detect = true, strict_mode = true)"
