"""Poll routes: the question editor (/manage/polls/…, the acting actor's), the poll page where
people answer (/polls/<id>, also without JavaScript), and the results with their CSV.

Every route is scoped to the territory (another territory's poll is a 404) and, for the editor,
to the acting actor (another actor's poll is a 404 too)."""

from __future__ import annotations

from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, lazyload
from werkzeug.wrappers import Response

from app.actors.models import Actor
from app.actors.roles import actor_role_required
from app.extensions import configured_limit, db, limiter, person_key
from app.htmx import is_htmx, render, see_other
from app.polls import answers, bp, keys, results, services
from app.polls.forms import KIND_LABELS, QuestionForm
from app.polls.models import PollQuestion
from app.publications.models import Publication
from app.publications.permissions import can_view, is_member, own_publication_or_404
from app.security import CSP, csp_with_frame, csp_with_tiles
from app.territories.context import current_territory, scoped
from app.territories.scoping import same_territory
from app.territories.services import embed_host


@bp.after_request
def _ballot_cookie(response: Response) -> Response:
    return keys.set_cookie(response)


def _own_poll_or_404(poll_id: int) -> Publication:
    publication = own_publication_or_404(poll_id)
    if publication.kind != "poll":
        abort(404)
    return publication


def _poll_or_404(poll_id: int) -> Publication:
    # The hashtags (the poll's, its actor's) are loaded only if a page shows them: answering
    # does not need them.
    publication = db.session.scalar(scoped(Publication, Publication.id == poll_id).options(
        lazyload(Publication.hashtags), joinedload(Publication.actor).lazyload(Actor.hashtags),
    ))
    if publication is None or publication.kind != "poll" or not can_view(current_user, publication):
        abort(404)
    return publication


def _question_or_404(publication: Publication, question_id: int) -> PollQuestion:
    question = next((q for q in answers.questions_of(publication) if q.id == question_id), None)
    if question is None:
        abort(404)
    return question


def may_see_results(publication: Publication) -> bool:
    """The poll's actor and the town's admins always; others as the poll says (live, or once
    closed)."""
    town_admin = bool(getattr(current_user, "is_admin", False)) and same_territory(current_user, publication)
    if town_admin or is_member(current_user, publication):
        return True
    return publication.is_visible and (publication.poll_results == "live" or answers.is_closed(publication))


# --- the question editor ------------------------------------------------------------------------


@bp.route("/manage/polls/<int:poll_id>/questions", methods=["GET", "POST"])
@actor_role_required()
def questions(poll_id: int) -> Response:
    publication = _own_poll_or_404(poll_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            services.add_question(publication, form.kind.data, form.text.data, form.help_text.data,
                                  form.required.data, form.option_labels, int(form.scale_max.data or 5))
        except services.QuestionError as error:
            flash(str(error), "error")
        else:
            flash(_("Question added."), "success")
            return see_other(".questions", anchor="#new-question", poll_id=publication.id)
    return _editor(publication, form)


def _editor(publication: Publication, form: QuestionForm, editing: PollQuestion | None = None) -> Response:
    return render(
        "polls/questions.html", publication=publication, form=form, editing=editing,
        questions=answers.questions_of(publication), locked=answers.has_answers(publication),
        kind_labels=KIND_LABELS, status=422 if request.method == "POST" else 200,
    )


@bp.route("/manage/polls/<int:poll_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@actor_role_required()
def edit_question(poll_id: int, question_id: int) -> Response:
    publication = _own_poll_or_404(poll_id)
    question = _question_or_404(publication, question_id)
    form = QuestionForm(obj=question if request.method == "GET" else None)
    if request.method == "GET":
        form.options.data = "\n".join(option.label for option in question.options)
        form.scale_max.data = str(question.scale_max or 5)
    if form.validate_on_submit():
        try:
            services.update_question(publication, question, form.kind.data, form.text.data, form.help_text.data,
                                     form.required.data, form.option_labels, int(form.scale_max.data or 5))
        except services.QuestionError as error:
            flash(str(error), "error")
        else:
            flash(_("Question saved."), "success")
            return see_other(".questions", poll_id=publication.id)
    return _editor(publication, form, editing=question)


@bp.post("/manage/polls/<int:poll_id>/questions/<int:question_id>/delete")
@actor_role_required()
def delete_question(poll_id: int, question_id: int) -> Response:
    publication = _own_poll_or_404(poll_id)
    question = _question_or_404(publication, question_id)
    try:
        services.delete_question(publication, question)
    except services.QuestionError as error:
        flash(str(error), "error")
    else:
        flash(_("Question deleted."), "success")
    return see_other(".questions", poll_id=publication.id)


@bp.post("/manage/polls/<int:poll_id>/questions/<int:question_id>/move")
@actor_role_required()
def move_question(poll_id: int, question_id: int) -> Response:
    publication = _own_poll_or_404(poll_id)
    question = _question_or_404(publication, question_id)
    services.move_question(publication, question, -1 if request.form.get("direction") == "up" else 1)
    return see_other(".questions", poll_id=publication.id)


# --- answering -------------------------------------------------------------------------------------


@bp.get("/polls/<int:poll_id>")
def show(poll_id: int) -> Response:
    publication = _poll_or_404(poll_id)
    return _poll_page(publication)


def _poll_page(publication: Publication, parsed: answers.Parsed | None = None, shared: bool | None = None,
               status: int = 200) -> Response:
    territory = current_territory()
    mine = None
    answered = False
    if current_user.is_authenticated:
        answered = answers.has_answered(publication, current_user)
        if answered:
            mine = answers.own_answer(publication, current_user, keys.browser_key())
    is_open = answers.is_open(publication)
    # The survey is shown inside the page only while the poll is open, from a host the town allows.
    host = embed_host(territory, publication.survey_url) \
        if is_open and publication.survey_url and publication.survey_embed else None
    if host is not None and is_htmx():
        # A boosted link swaps this page into a document whose CSP does not let the survey's host
        # in (a CSP is the document's, not the fragment's): load the page as a document of its own.
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url_for(".show", poll_id=publication.id)
        response.vary.add("HX-Request")
        return response
    embed = host is not None
    response = make_response(render(
        "polls/show.html", publication=publication, questions=answers.questions_of(publication),
        is_open=is_open, is_closed=answers.is_closed(publication),
        answered=answered, mine=mine, errors=(parsed.errors if parsed else {}),
        given=(parsed.answer if parsed else (mine or {}).get("answer", {})),
        shared=shared if shared is not None else bool((mine or {}).get("shared")),
        may_see_results=may_see_results(publication), can_edit=is_member(current_user, publication),
        embed=embed, status=status,
    ))
    if host is not None:  # this page alone may frame the survey's host
        response.headers["Content-Security-Policy"] = csp_with_frame(_base_csp(territory), host)
    return response


def _base_csp(territory: object) -> str:
    tile_url = getattr(territory, "tile_url", "")
    return csp_with_tiles(tile_url) if tile_url else CSP


@bp.post("/polls/<int:poll_id>/answer")
@login_required
@limiter.limit(configured_limit("RATELIMIT_API"), key_func=person_key)
def answer(poll_id: int) -> Response:
    publication = _poll_or_404(poll_id)
    if publication.survey_url:
        abort(404)
    questions = answers.questions_of(publication)
    parsed = answers.parse(questions, request.form)
    shared = request.form.get("share") == "yes"
    if parsed.errors:
        return _poll_page(publication, parsed, shared, status=422)
    try:
        # The person itself, not the request's proxy to them: submit reads it many times.
        person = current_user._get_current_object()  # type: ignore[attr-defined]
        outcome = answers.submit(publication, current_territory(), person, keys.browser_key(create=True),
                                 parsed.answer, shared, questions=questions)
    except answers.AnswerError as error:
        flash(str(error), "error")
        return _poll_page(publication, parsed, shared, status=409)
    flash(_("Your answer is changed.") if outcome == "changed" else _("Thank you: your answer is counted."),
          "success")
    return see_other(".show", poll_id=publication.id)


@bp.post("/polls/<int:poll_id>/withdraw")
@login_required
def withdraw(poll_id: int) -> Response:
    publication = _poll_or_404(poll_id)
    try:
        answers.withdraw(publication, current_user, keys.browser_key())
    except answers.AnswerError as error:
        flash(str(error), "error")
    else:
        flash(_("Your answer is withdrawn: it no longer counts."), "success")
    return see_other(".show", poll_id=publication.id)


# --- results -----------------------------------------------------------------------------------------


def _results(publication: Publication) -> results.PollResults:
    if not may_see_results(publication):
        abort(404)
    by = request.args.get("by", "")
    texts = is_member(current_user, publication)
    return results.results(publication, current_territory(), by, texts=texts)


@bp.get("/polls/<int:poll_id>/results")
def results_page(poll_id: int) -> Response:
    publication = _poll_or_404(poll_id)
    found = _results(publication)
    return render("polls/results.html", publication=publication, found=found, breakdowns=results.BREAKDOWNS,
                  breakdown_label=results.breakdown_label, kind_labels=KIND_LABELS)


@bp.get("/polls/<int:poll_id>/results.csv")
def results_csv(poll_id: int) -> Response:
    publication = _poll_or_404(poll_id)
    found = _results(publication)
    response = make_response(results.results_csv(found))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"poll-{publication.id}-results{'-' + found.breakdown if found.breakdown else ''}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/polls/results-readme.txt")
def results_readme() -> Response:
    response = make_response(render("polls/csv_readme.txt", floor=results.anonymity_floor(current_territory())))
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response


@bp.app_template_global()
def poll_url(publication: Publication) -> str:
    return url_for("polls.show", poll_id=publication.id)

