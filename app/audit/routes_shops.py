"""The merchants' self-assessment: the shop answers from its management space (/manage), the town
reads the answers aggregated (/admin/audit/shops). Load → authorise → service → render."""

from __future__ import annotations

from flask import abort, flash, g
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from app.actors.roles import actor_role_required
from app.audit import bp, services_shops
from app.audit.forms_shops import OPTION_LABELS, QUESTION_LABELS, ShopAnswerForm
from app.audit.permissions import audit_editors_only
from app.forms import ConfirmForm
from app.htmx import render, see_other
from app.territories.context import current_territory


@bp.app_template_filter("shop_option")
def shop_option_label(code: str, question: str) -> str:
    return str(OPTION_LABELS.get(question, {}).get(code, code))


@bp.route("/manage/self-assessment", methods=["GET", "POST"])
@actor_role_required()
def shops_answer() -> Response:
    actor = g.actor
    if not services_shops.is_shop(actor):
        abort(404)
    answer = services_shops.answer_of(actor)
    form = ShopAnswerForm()
    if not form.is_submitted() and answer is not None:
        form = ShopAnswerForm(formdata=None, data={
            "listed_online": answer.codes("listed_online"), "hours_up_to_date": answer.hours_up_to_date,
            "click_and_collect": answer.click_and_collect, "delivery": answer.delivery,
            "payment": answer.codes("payment"), "loyalty": answer.loyalty, "comment": answer.comment,
            "town_may_see": answer.town_may_see,
        })
    if form.validate_on_submit():
        answer = services_shops.save_answer(actor, **form.answers())
        flash(_("Your answers are saved.") + " " + (
            _("The town may see them as yours.") if answer.town_may_see
            else _("The town sees them only counted with other shops' answers.")), "success")
        return see_other("audit.shops_answer")
    town = services_shops.town_view(current_territory())
    return render("audit/shops_answer.html", form=form, actor=actor, answer=answer,
                  town_list_shown=town.list_shown,
                  questions=services_shops.QUESTIONS, labels=QUESTION_LABELS,
                  min_answers=services_shops.MIN_ANSWERS,
                  status=422 if form.is_submitted() else 200)


@bp.get("/admin/audit/shops")
@audit_editors_only
def shops_town() -> Response:
    return render("audit/shops_town.html", view=services_shops.town_view(current_territory()),
                  questions=services_shops.QUESTIONS, labels=QUESTION_LABELS,
                  min_answers=services_shops.MIN_ANSWERS, invite_form=ConfirmForm(formdata=None),
                  invitation_days=services_shops.INVITATION_EVERY_DAYS)


@bp.post("/admin/audit/shops/invite")
@audit_editors_only
def shops_invite() -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    invited = services_shops.invite_shops_to_answer(current_territory())
    flash(ngettext("%(num)d shop is invited to answer.", "%(num)d shops are invited to answer.", invited)
          if invited else _("No shop to invite: every shop has answered or was invited this week."), "success")
    return see_other("audit.shops_town")
