"""The OpenAPI 3.1 document of the read API, written by hand so that it says what the API
promises (tests/api checks that every route under /api/v1 is in it, that every path in it
answers, that it is a valid document and that the answers match its schemas)."""

from __future__ import annotations

from typing import Any

from app.actors.models import ACTOR_KINDS
from app.reports.public import STATUS_FILTERS

PUBLIC_KINDS = ["news", "event", "offer"]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"] if isinstance(kind, str) else [*kind, "null"]}


STRING = {"type": "string"}
DATETIME = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri"}
REF = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def _param(name: str, where: str, description: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "description": description, "required": required, "schema": schema}


PAGE = _param("page", "query", "The page, from 1.", {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1})
PER_PAGE = _param("per_page", "query", "Items a page.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20})
HASHTAG = _param("hashtag", "query", "Only those with this hashtag of the town (without #).", STRING)
ACTOR = _param("actor", "query", "Only this actor's (its id).", {"type": "integer", "minimum": 1})
FROM = _param("from", "query", "Start of the window (RFC 3339; default: now).", DATETIME)
TO = _param("to", "query", "End of the window (RFC 3339; default: 30 days after from; at most 366 days).", DATETIME)
IF_NONE_MATCH = _param("If-None-Match", "header", "An ETag received before: 304 when nothing changed.", STRING)

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object", "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status"],
        "properties": {
            "type": STRING, "title": STRING, "status": {"type": "integer"}, "detail": STRING,
            "parameter": {"type": "string", "description": "The query parameter at fault."},
        },
    },
    "Location": {
        "type": "object", "required": ["lat", "lon"],
        "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
    },
    "PageMeta": {
        "type": "object", "required": ["page", "per_page"],
        "properties": {
            "page": {"type": "integer"}, "per_page": {"type": "integer"},
            "total": {"type": "integer", "description": "Items in all pages (absent for street reports)."},
        },
    },
    "PageLinks": {
        "type": "object", "required": ["first"],
        "properties": {"first": URL, "prev": URL, "next": URL},
    },
    "Territory": {
        "type": "object",
        "required": ["slug", "name", "tagline", "timezone", "default_language", "languages", "center", "url"],
        "properties": {
            "slug": STRING, "name": STRING, "tagline": STRING,
            "timezone": {"type": "string", "description": "IANA time zone of the town's clocks."},
            "default_language": STRING, "languages": {"type": "array", "items": STRING},
            "center": ref("Location"), "url": URL,
        },
    },
    "Hashtag": {
        "type": "object", "required": ["id", "tag", "label"],
        "properties": {"id": {"type": "integer"}, "tag": STRING, "label": STRING},
    },
    "OpeningHours": {
        "type": "object",
        "description": "Weekly ranges by day (mon..sun), as HH:MM in the town's time zone; a closing "
                       "time not after the opening time runs past midnight; an absent day is closed.",
        "propertyNames": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        "additionalProperties": {
            "type": "array",
            "items": {"type": "array", "minItems": 2, "maxItems": 2,
                      "items": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}},
        },
    },
    "Actor": {
        "type": "object",
        "required": ["id", "slug", "name", "kind", "summary", "description_md", "address", "location",
                     "neighbourhood", "phone", "email", "website", "hashtags", "opening_hours", "open_now",
                     "next_change", "url"],
        "properties": {
            "id": {"type": "integer"}, "slug": STRING, "name": STRING,
            "kind": {"type": "string", "enum": list(ACTOR_KINDS)},
            "summary": STRING, "description_md": {"type": "string", "description": "Markdown."},
            "address": STRING, "location": {"oneOf": [ref("Location"), {"type": "null"}]},
            "neighbourhood": _nullable(STRING), "phone": _nullable(STRING), "email": _nullable(STRING),
            "website": _nullable(STRING), "hashtags": {"type": "array", "items": STRING},
            "opening_hours": ref("OpeningHours"),
            "open_now": {"type": "boolean", "description": "Open at the time of the answer, "
                         "holidays and special days included."},
            "next_change": {
                "oneOf": [
                    {"type": "object", "required": ["at", "opens"],
                     "properties": {"at": DATETIME, "opens": {"type": "boolean"}}},
                    {"type": "null"},
                ],
                "description": "When it next opens (opens: true) or closes, within 14 days.",
            },
            "url": URL,
        },
    },
    "ActorRef": {
        "type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": STRING},
    },
    "Publication": {
        "type": "object",
        "required": ["id", "kind", "title", "summary", "body_md", "actor", "hashtags", "starts_at", "ends_at",
                     "valid_from", "valid_until", "place_name", "location", "rrule", "exdates",
                     "recurrence_parent_id", "recurrence_id", "cancelled", "published_at", "updated_at", "url"],
        "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string", "enum": PUBLIC_KINDS},
            "title": STRING, "summary": STRING, "body_md": STRING, "actor": ref("ActorRef"),
            "hashtags": {"type": "array", "items": STRING},
            "starts_at": _nullable(DATETIME), "ends_at": _nullable(DATETIME),
            "valid_from": _nullable(DATETIME), "valid_until": _nullable(DATETIME),
            "place_name": _nullable(STRING), "location": {"oneOf": [ref("Location"), {"type": "null"}]},
            "rrule": {"type": ["string", "null"], "description": "RFC 5545 RRULE from starts_at, in the town's time zone."},
            "exdates": {"type": "array", "items": DATETIME, "description": "Occurrences taken out."},
            "recurrence_parent_id": {"type": ["integer", "null"]},
            "recurrence_id": _nullable(DATETIME), "cancelled": {"type": "boolean"},
            "published_at": _nullable(DATETIME), "updated_at": DATETIME, "url": URL,
        },
    },
    "Occurrence": {
        "type": "object",
        "required": ["publication_id", "occurrence_of", "title", "actor", "starts_at", "ends_at", "recurrence_id",
                     "cancelled", "place_name", "url"],
        "properties": {
            "publication_id": {"type": "integer", "description": "The event (its series)."},
            "occurrence_of": {"type": "integer", "description": "The publication holding this occurrence's "
                              "details (an occurrence changed on its own has its own)."},
            "title": STRING, "actor": ref("ActorRef"), "starts_at": DATETIME, "ends_at": DATETIME,
            "recurrence_id": _nullable(DATETIME), "cancelled": {"type": "boolean"},
            "place_name": _nullable(STRING), "url": URL,
        },
    },
    "Report": {
        "type": "object", "description": "A street report as the public sees it: nothing about who made it.",
        "required": ["id", "category", "status", "status_label", "location", "address", "created_at",
                     "updated_at", "overdue", "url"],
        "properties": {
            "id": {"type": "integer"}, "category": STRING, "status": STRING, "status_label": STRING,
            "location": ref("Location"), "address": STRING, "created_at": DATETIME, "updated_at": DATETIME,
            "overdue": {"type": "boolean"}, "url": URL,
        },
    },
}


def _list_of(name: str) -> dict[str, Any]:
    return {
        "type": "object", "required": ["data", "meta", "links"],
        "properties": {"data": {"type": "array", "items": ref(name)}, "meta": ref("PageMeta"), "links": ref("PageLinks")},
    }


for _name in ("Actor", "Publication", "Occurrence", "Report"):
    SCHEMAS[f"{_name}List"] = _list_of(_name)

HEADERS = {
    "ETag": {"description": "The answer's version: send it back in If-None-Match.", "schema": STRING},
    "Cache-Control": {"description": "public, max-age=60", "schema": STRING},
    "Access-Control-Allow-Origin": {"description": "*: any site's scripts may read it.", "schema": STRING},
}
LIST_HEADERS = {**HEADERS, "Link": {"description": "RFC 8288 links: first, prev, next.", "schema": STRING}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": ref("Problem")}}}


def _get(summary: str, schema: dict[str, Any], parameters: list[dict[str, Any]] | None = None,
         listed: bool = False, not_found: bool = False, tag: str = "data") -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK", "headers": LIST_HEADERS if listed else HEADERS,
                "content": {"application/json": {"schema": schema}}},
        "304": {"description": "Not modified: the ETag sent in If-None-Match is still the current one."},
        "400": _problem("A query parameter the API cannot use (named in `parameter`)."),
        "429": _problem("Too many requests: wait for Retry-After seconds."),
    }
    if not_found:
        responses["404"] = _problem("Nothing public of this town has this id.")
    return {"get": {"summary": summary, "tags": [tag], "parameters": [*(parameters or []), IF_NONE_MATCH],
                    "responses": responses}}


def document() -> dict[str, Any]:
    paths = {
        "/api/v1/": _get("Links to every list of the API.", {
            "type": "object", "required": ["links"],
            "properties": {"links": {"type": "object", "additionalProperties": URL}},
        }, tag="meta"),
        "/api/v1/openapi.json": _get("This document.", {"type": "object"}, tag="meta"),
        "/api/v1/territory": _get("The town whose host answers.", ref("Territory")),
        "/api/v1/hashtags": _get("The town's hashtag catalogue.", {
            "type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": ref("Hashtag")}},
        }),
        "/api/v1/actors": _get("The town's verified actors, by name, with their opening hours and whether "
                               "they are open now.", ref("ActorList"), [
            _param("kind", "query", "Only actors of this kind.", {"type": "string", "enum": list(ACTOR_KINDS)}),
            HASHTAG,
            _param("open_now", "query", "true: only those open now; false: only those closed.",
                   {"type": "string", "enum": ["true", "false"]}),
            PAGE, PER_PAGE,
        ], listed=True),
        "/api/v1/actors/{actor_id}": _get("One actor.", ref("Actor"), [
            _param("actor_id", "path", "The actor's id.", {"type": "integer"}, required=True),
        ], not_found=True),
        "/api/v1/publications": _get("Published news, events and offers: events by start, the rest newest "
                                     "first. With from/to (kind=event), the events with an occurrence in "
                                     "that window, recurring ones included.", ref("PublicationList"), [
            _param("kind", "query", "news, event or offer.", {"type": "string", "enum": PUBLIC_KINDS}),
            ACTOR, HASHTAG,
            _param("updated_since", "query", "Only those changed after this time (RFC 3339).", DATETIME),
            FROM, TO, PAGE, PER_PAGE,
        ], listed=True),
        "/api/v1/publications/{publication_id}": _get("One publication.", ref("Publication"), [
            _param("publication_id", "path", "The publication's id.", {"type": "integer"}, required=True),
        ], not_found=True),
        "/api/v1/events/occurrences": _get("Every occurrence of the events in a window, by start (a recurring "
                                           "event once per date, cancelled ones marked).", ref("OccurrenceList"), [
            FROM, TO, ACTOR, HASHTAG, PAGE,
            _param("per_page", "query", "Items a page.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}),
        ], listed=True),
        "/api/v1/reports": _get("Street reports as the public pages show them, newest first, 50 a page "
                                "(no total: that would count people's reports).", ref("ReportList"), [
            _param("status", "query", "open, overdue, closed or a status.", {"type": "string", "enum": list(STATUS_FILTERS)}),
            _param("category", "query", "A category's id.", {"type": "integer"}),
            _param("neighbourhood", "query", "A neighbourhood's id.", {"type": "integer"}),
            _param("bbox", "query", "west,south,east,north in degrees.", STRING),
            PAGE,
        ], listed=True, tag="reports"),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Territory read API",
            "version": "1.0.0",
            "summary": "The public data of one town: actors and their opening hours, news, events, offers, "
                       "hashtags, street reports.",
            "description": "Read only, no key. Each town answers on its own host with its own data. Lists are "
                           "paginated (page, per_page; Link headers). Every answer has an ETag (send "
                           "If-None-Match for a 304) and may be kept 60 seconds. Any origin may read it "
                           "(CORS). Errors are RFC 9457 problem details. Times are UTC (RFC 3339).",
            "license": {"name": "Licence Ouverte 2.0", "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"},
        },
        "servers": [{"url": "/", "description": "The town's own host."}],
        "tags": [{"name": "meta"}, {"name": "data"}, {"name": "reports"}],
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }
