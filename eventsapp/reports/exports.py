"""CSV and XLSX of the dashboards' tables (``tables.Table``).

CSV is what French spreadsheets open by a double click: UTF-8 with a BOM,
``;`` between fields, rates as percentages with a decimal comma. XLSX
(openpyxl) has one sheet per table, numbers as numbers and rates as
percentages. A cell that starts like a formula (``=``, ``+``, ``-``, ``@``)
is written as text, so an event's title can never run in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font

from eventsapp.reports.tables import Cell, Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value * 100:.1f}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return _safe_text(str(value))


def table_csv(table: Table) -> str:
    """The table as CSV text (BOM included), with its total line."""
    output = io.StringIO()
    output.write("\ufeff")
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.label + (" (%)" if column.kind == "rate" else "") for column in table.columns])
    for row in table.rows + ([table.total] if table.total else []):
        writer.writerow([_csv_cell(cell) for cell in row])
    return output.getvalue()


def tables_xlsx(tables: list[Table]) -> bytes:
    """A workbook with one sheet per table."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(title=table.title[:31].replace("/", "-"))
        sheet.append([column.label for column in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows + ([table.total] if table.total else []):
            sheet.append(
                [_xlsx_cell(cell, column.kind) for cell, column in zip(row, table.columns, strict=True)]
            )
            for cell, column in zip(sheet[sheet.max_row], table.columns, strict=True):
                if isinstance(cell.value, float) or column.kind == "rate":
                    cell.number_format = "0.0%"
                elif column.kind == "date" and isinstance(cell.value, date):
                    cell.number_format = "dd/mm/yyyy"
        if table.total:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for index, column in enumerate(table.columns, start=1):
            width = 40 if column.kind == "text" else 14
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
        sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _xlsx_cell(value: Cell, kind: str) -> Cell | date:
    if isinstance(value, str) and kind == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return _safe_text(value)
    if isinstance(value, str):
        return _safe_text(value)
    return value
