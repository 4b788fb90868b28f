# Territory — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
PORT ?= 5000
HOST ?= 0.0.0.0
TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# The suite runs on TEST_WORKERS processes (pytest-xdist; 0: in this one). Each worker has its own
# database, Redis database (15, 14...) and ports: tests/support/parallel.py.
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -q -n $(TEST_WORKERS)
export FLASK_APP := app

.PHONY: run test test-pg test-unit test-e2e bench bench-feed bench-geo bench-audience bench-push bench-load bench-privacy bench-polls bench-reports bench-open lighthouse lint install chromium wrk translations translations-update migrate demo observatory

.venv/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: .venv/.installed

translations: install
	.venv/bin/pybabel compile -f -d translations >/dev/null

translations-update: install
	.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -o translations/messages.pot --no-location --sort-output --omit-header . >/dev/null
	for lang in fr nl en; do \
	  if [ -f translations/$$lang/LC_MESSAGES/messages.po ]; then .venv/bin/pybabel update -i translations/messages.pot -d translations -l $$lang --no-fuzzy-matching >/dev/null; \
	  else .venv/bin/pybabel init -i translations/messages.pot -d translations -l $$lang >/dev/null; fi; \
	done

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The MDN HTTP Observatory (tests/core/test_observatory.py), pinned by its package-lock.json,
# installed once into tests/observatory/node_modules (git-ignored); offline afterwards. Install
# scripts are skipped (they build a native PostgreSQL client the scanner never loads, and one
# fetches the HSTS preload list from GitHub): the list is left empty, nothing is fetched at run
# time (a local test host is on no preload list anyway).
OBSERVATORY := tests/observatory/node_modules/@mdn/mdn-http-observatory

observatory: $(OBSERVATORY)/conf/hsts-preload.json

$(OBSERVATORY)/conf/hsts-preload.json: tests/observatory/package.json tests/observatory/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)
	cd tests/observatory && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	test -s $(OBSERVATORY)/conf/hsts-preload.json || echo '{}' > $(OBSERVATORY)/conf/hsts-preload.json
	touch $@

# Lighthouse (issue 12), pinned by tests/lighthouse/package-lock.json, installed once into
# tests/lighthouse/node_modules (git-ignored), run against Debian's Chromium with mobile settings
# over the main screens of the demo: prints lighthouse_<page>_<category>: N, fails under 95.
LIGHTHOUSE := tests/lighthouse/node_modules/lighthouse/cli/index.js

$(LIGHTHOUSE): tests/lighthouse/package.json tests/lighthouse/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)
	cd tests/lighthouse && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

lighthouse: install translations chromium $(LIGHTHOUSE)
	$(PY) tests/lighthouse/run.py $(LIGHTHOUSE_ARGS)

migrate: install
	.venv/bin/flask migrate

demo: migrate translations
	.venv/bin/flask demo load

## make run: install, migrate, load the demo territories, start the web server and the worker.
# gunicorn_config.py: one process per core, 4 threads each (WEB_WORKERS, WEB_THREADS); the
# delivery worker lowers its own priority (WORKER_NICE, default 10: app/worker.py).
# No gunicorn access log: it writes raw paths, and a path can be a token (/verify/<token>...); the
# app logs each request by its route's rule instead (app/access_log.py).
run: demo
	@echo
	@echo "  Territory is running:"
	@echo "    http://localhost:$(PORT)/          La Ciotat (coastal town)"
	@echo "    http://station.localhost:$(PORT)/  Montgenèvre (mountain resort)"
	@echo "  Demo logins (password: territoire-demo-2026), the same in both territories:"
	@echo "    citizen:               citoyen@demo.territory"
	@echo "    citizen-merchant:      commercant@demo.territory"
	@echo "    association president: president@demo.territory"
	@echo "    town admin:            admin@demo.territory"
	@echo
	( trap 'kill 0' EXIT; export PORT=$(PORT); MAIL_BACKEND=console .venv/bin/huey_consumer app.worker.huey -w 2 -k process & \
	  MAIL_BACKEND=console .venv/bin/gunicorn -c gunicorn_config.py -b $(HOST):$(PORT) 'app:create_app()' )

## make test: install, then the whole suite on SQLite, browser tests included.
test: install translations chromium observatory
	$(PYTEST)

test-unit: install translations
	$(PYTEST) --ignore=tests/e2e

test-e2e: install translations chromium
	$(PYTEST) tests/e2e

## make test-pg: the same suite on the local PostgreSQL and Redis.
test-pg: install translations chromium observatory
	TEST_DATABASE_URL=$(TEST_PG_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(PYTEST)

bench: bench-feed bench-geo bench-audience bench-push bench-privacy bench-polls bench-reports bench-open bench-load

# The benchmark's load generator (a lean C client: it shares the cores with the server); without
# it the benchmark falls back to a slower Python client.
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) || echo "wrk could not be installed: using the Python load generator"

bench-feed: install translations wrk
	$(PY) bench/bench_feed.py

bench-geo: install translations wrk
	$(PY) bench/bench_geo.py

# The audience estimate: 100,000 citizens on SQLite, 1,000,000 on the local PostgreSQL
# (a database bench_audience, created and dropped by the run).
bench-audience: install translations
	$(PY) bench/bench_audience.py

# Push fan-out to 100,000 subscribers (real P-256 keys) against a local push service, the
# platform's sender against a naive pywebpush.webpush() loop; then a 100,000-recipient campaign.
bench-push: install translations
	$(PY) bench/bench_push.py

# The privacy audit's attacks (pair, whole daily budget, presence, open) against the real release
# engine on a temporary SQLite database, thousands of trials each; then how far an estimate of
# 100 is off and what a release costs over its count.
bench-privacy: install translations
	$(PY) bench/bench_privacy.py

# Polls (issue 13) on SQLite: 100,000 answers over 20 polls planted in bulk; a results page with two
# cross-tables (p95), answers per second through the plain form under gunicorn with 2 workers, and
# the observatory's p95 (n/a if it does not answer); about a minute.
bench-polls: install translations wrk
	$(PY) bench/bench_polls.py

# Street reports: 100,000 reports on the local PostgreSQL (a database bench_reports, created and
# dropped by the run): an area's list and map data, the duplicate lookup, Open311's requests.
bench-reports: install translations
	$(PY) bench/bench_reports.py

# Open territory (issue 15): 5,000 events behind /agenda.ics (p95, and the 304 of an unchanged
# ETag), a 1,000-event iCal import and re-import, the read API's lists, webhooks from event to
# endpoint (bench/bench_open.py runs the four parts one after the other).
bench-open: install translations
	$(PY) bench/bench_open.py

# 200 citizens browsing (locust, 2 minutes) while a 20,000-recipient campaign sends: PostgreSQL
# (a database bench_load, created and dropped by the run), Redis db 7 (flushed before and after),
# gunicorn with 2 workers and the delivery workers; rate limits off for the run.
bench-load: install translations
	$(PY) bench/bench_load.py --users 200,1000

## make lint: ruff, and the import contracts of .importlinter (every arrow points down, no loop).
lint: install
	.venv/bin/ruff check app tests bench
	.venv/bin/lint-imports --no-cache
