"""A round exported to brief a contractor, in the town's language (the caller sets the locale):
a PDF (fpdf2, with DejaVu Sans embedded so that French and Dutch accents print) holding the heat
map, the strong and weak links, the comparison when the town sees one, and the action plan; and
a spreadsheet (openpyxl) with a sheet of scores, one of evidence and notes, one of actions."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from app.audit import indicators_rounds as indicators
from app.audit import services_rounds as services
from app.audit.forms_rounds import ACTION_STATUS_LABELS
from app.audit.journey import ANGLES
from app.audit.models_rounds import AuditAction, AuditRound, AuditScore
from app.territories.models import Territory

FONTS = Path(__file__).parent / "fonts"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The levels' backgrounds: the design tokens' (static/css/tokens.css) error, warning, surface,
# info and ok backgrounds, as on the heat map page.
LEVEL_FILLS = {0: "fdecea", 1: "fff4d6", 2: "eef1f6", 3: "e8f1fb", 4: "e6f4ea"}


@dataclass(frozen=True)
class Report:
    territory: Territory
    round: AuditRound
    heat: services.HeatMap
    comparison: services.Comparison | None
    scores: dict[tuple[int, str], AuditScore]
    plan: list[tuple[AuditAction, indicators.Reading | None]]

    def step_name(self, step_id: int) -> str:
        return next((s.label for s in self.heat.steps if s.id == step_id), "")


def report_of(territory: Territory, audit_round: AuditRound) -> Report:
    plan = [(action, indicators.read(territory, action.indicator) if action.indicator else None)
            for action in services.actions(audit_round)]
    return Report(territory, audit_round, services.heat_map(audit_round), services.comparison(territory),
                  services.scores(audit_round), plan)


def _angle_names() -> dict[str, str]:
    return {code: str(name) for code, name, _hint in ANGLES}


def _level(level: int | None) -> str:
    return "–" if level is None else f"{level} {services.maturity_label(level)}"


def _average(value: float | None) -> str:
    return "–" if value is None else format_decimal(value, "0.0")


def _delta(delta: int | None) -> str:
    if delta is None or delta == 0:
        return "" if delta is None else " (=)"
    return f" (+{delta})" if delta > 0 else f" ({delta})"


def _budget(action: AuditAction) -> str:
    return "" if action.budget_eur is None else f"{format_decimal(action.budget_eur, '#,##0.00')} EUR"


def _indicator(action: AuditAction, reading: indicators.Reading | None) -> str:
    if not action.indicator:
        return ""
    now = reading.text if reading else ""
    return _("%(name)s: %(now)s (when created: %(then)s)", name=indicators.name_of(action.indicator), now=now,
             then=action.baseline_text or "–")


def _links(report: Report, cells: list[services.Cell]) -> list[str]:
    names = _angle_names()
    return [f"{cell.step.label} — {names[cell.angle]}: {_level(cell.maturity)}" for cell in cells]


# --- PDF --------------------------------------------------------------------------------------------


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.cell(0, 8, f"{self.page_no()}", align="C")


def pdf(report: Report) -> bytes:
    document = _Pdf(orientation="landscape", format="A4")
    document.set_title(f"{report.territory.name} — {report.round.title}")
    document.set_lang(report.territory.default_language)
    document.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    document.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    document.set_auto_page_break(True, margin=15)
    document.add_page()
    document.set_font("DejaVu", "B", 16)
    document.multi_cell(0, 9, _("Commerce audit: %(town)s", town=report.territory.name), new_x="LMARGIN", new_y="NEXT")
    document.set_font("DejaVu", size=11)
    document.multi_cell(0, 6, f"{report.round.title} — {format_date(report.round.held_on, 'long')}",
                        new_x="LMARGIN", new_y="NEXT")
    document.ln(3)

    def heading(text: str) -> None:
        document.ln(2)
        document.set_font("DejaVu", "B", 13)
        document.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        document.set_font("DejaVu", size=8)

    heat = report.heat
    angles = heat.angles
    heading(_("Heat map: maturity of each step under each angle (0 absent to 4 exemplary)"))
    widths = (52, *([34] * len(angles)), 22)
    head = FontFace(emphasis="BOLD", fill_color="#" + LEVEL_FILLS[2])
    with document.table(col_widths=widths, headings_style=head, line_height=5, text_align="LEFT") as table:
        row = table.row()
        row.cell(_("Step"))
        for _code, name in angles:
            row.cell(name)
        row.cell(_("Average"))
        for step in heat.steps:
            row = table.row()
            row.cell(step.label)
            for cell in heat.row(step):
                style = FontFace(fill_color="#" + LEVEL_FILLS[cell.maturity]) if cell.maturity is not None else None
                row.cell(_level(cell.maturity) + _delta(cell.delta), style=style)
            row.cell(_average(heat.step_averages[step.id]))
        row = table.row()
        row.cell(_("Average"))
        for code, _name in angles:
            row.cell(_average(heat.angle_averages[code]))
        row.cell(_average(heat.average))
    if heat.previous is not None:
        document.set_font("DejaVu", size=8)
        document.multi_cell(0, 5, _("In brackets: the change since the previous completed round (%(title)s).",
                                    title=heat.previous.title), new_x="LMARGIN", new_y="NEXT")

    for title, cells in ((_("Strong links"), heat.strong), (_("Weak links"), heat.weak)):
        heading(title)
        document.set_font("DejaVu", size=9)
        for line in _links(report, cells) or [_("None.")]:
            document.multi_cell(0, 5, f"• {line}", new_x="LMARGIN", new_y="NEXT")

    if report.comparison is not None:
        heading(_("Comparison with other towns"))
        document.set_font("DejaVu", size=9)
        if not report.comparison.shown:
            document.multi_cell(0, 5, _comparison_refused(report.comparison), new_x="LMARGIN", new_y="NEXT")
        else:
            document.multi_cell(0, 5, _("Median of the latest completed rounds of %(towns)d other towns.",
                                        towns=report.comparison.towns), new_x="LMARGIN", new_y="NEXT")
            with document.table(col_widths=widths[:-1], headings_style=head, line_height=5, text_align="LEFT") as table:
                row = table.row()
                row.cell(_("Step"))
                for _code, name in angles:
                    row.cell(name)
                for step in heat.steps:
                    row = table.row()
                    row.cell(step.label)
                    for code, _name in angles:
                        median = report.comparison.medians.get((step.code, code))
                        row.cell("–" if median is None else format_decimal(median, "0.0"))

    heading(_("Action plan"))
    if not report.plan:
        document.multi_cell(0, 5, _("No action yet."), new_x="LMARGIN", new_y="NEXT")
    else:
        names = _angle_names()
        with document.table(col_widths=(48, 40, 70, 30, 22, 22, 24, 50), headings_style=head, line_height=5,
                            text_align="LEFT") as table:
            row = table.row()
            for text in (_("Action"), _("Weak link"), _("Description"), _("Owner"), _("Budget"), _("Due date"),
                         _("Status"), _("Indicator")):
                row.cell(text)
            for action, reading in report.plan:
                row = table.row()
                row.cell(action.title)
                row.cell(f"{report.step_name(action.step_id)} — {names.get(action.angle, '')}")
                row.cell(action.description)
                row.cell(action.owner)
                row.cell(_budget(action))
                row.cell(format_date(action.due_on) if action.due_on else "")
                row.cell(str(ACTION_STATUS_LABELS.get(action.status, action.status)))
                row.cell(_indicator(action, reading))
    return bytes(document.output())


def _comparison_refused(comparison: services.Comparison) -> str:
    return _("Not shown: %(towns)d other towns share their rounds, and a comparison needs at least %(minimum)d "
             "so that no town's scores can be guessed.", towns=comparison.towns, minimum=comparison.minimum)


# --- XLSX -------------------------------------------------------------------------------------------


def xlsx(report: Report) -> bytes:
    book = Workbook()
    bold = Font(bold=True)
    heat = report.heat
    names = _angle_names()

    scores_sheet = book.active
    scores_sheet.title = _("Scores")[:31]
    scores_sheet.append([_("Step"), *(name for _code, name in heat.angles), _("Average")])
    for step in heat.steps:
        scores_sheet.append([step.label, *(cell.maturity for cell in heat.row(step)), heat.step_averages[step.id]])
        for column, cell in enumerate(heat.row(step), start=2):
            if cell.maturity is not None:
                fill = LEVEL_FILLS[cell.maturity]
                scores_sheet.cell(row=scores_sheet.max_row, column=column).fill = PatternFill("solid", fgColor=fill)
    scores_sheet.append([_("Average"), *(heat.angle_averages[code] for code, _name in heat.angles), heat.average])

    evidence_sheet = book.create_sheet(_("Evidence and notes")[:31])
    evidence_sheet.append([_("Step"), _("Angle"), _("Maturity"), _("Evidence"), _("Notes")])
    for step in heat.steps:
        for code, _name in heat.angles:
            score = report.scores.get((step.id, code))
            evidence_sheet.append([step.label, names[code], score.maturity if score else None,
                                   score.evidence if score else "", score.notes if score else ""])

    actions_sheet = book.create_sheet(_("Actions")[:31])
    actions_sheet.append([_("Action"), _("Step"), _("Angle"), _("Description"), _("Owner"), _("Budget (EUR)"),
                          _("Due date"), _("Status"), _("Indicator"), _("Value when created"), _("Value now")])
    for action, reading in report.plan:
        actions_sheet.append([
            action.title, report.step_name(action.step_id), names.get(action.angle, ""), action.description,
            action.owner, action.budget_eur, action.due_on, str(ACTION_STATUS_LABELS.get(action.status, action.status)),
            indicators.name_of(action.indicator), action.baseline_text, reading.text if reading else "",
        ])
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "B2"
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
