# weizhi — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test lint format bench bench-article bench-callback setup deps dev-deps browser-deps clean

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "weizhi needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.deps: $(VENV)/.python-ok requirements.lock
	$(PY) -m pip install --quiet -r requirements.lock
	@touch $@

$(VENV)/.dev-deps: $(VENV)/.deps requirements-dev.lock
	$(PY) -m pip install --quiet -r requirements-dev.lock
	@touch $@

# WeChat's JS-SDK from the npm registry (warns and goes on when it cannot be fetched).
deps: $(VENV)/.deps
	@$(PY) -m weizhi.wechat.jssdk_vendor
dev-deps: deps $(VENV)/.dev-deps

# Debian's Chromium and CJK fonts for the browser tests (Playwright cannot fetch its own here).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

setup: deps
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_demo
	$(PY) manage.py load_demo_audience
	$(PY) manage.py load_demo_wechat
	$(PY) manage.py ensure_admin
	@echo "阅读端: http://$(HOST):$(PORT)/    管理后台: http://$(HOST):$(PORT)/admin/"

run: setup
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: dev-deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: dev-deps browser-deps lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: bench-article bench-callback

bench-article: dev-deps
	$(PY) bench/article.py $(BENCH_ARGS)

bench-callback: dev-deps
	$(PY) bench/callback.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
