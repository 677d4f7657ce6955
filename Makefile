# weizhi — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test lint format bench bench-article bench-callback bench-screen bench-surveys bench-quiz bench-live bench-dashboard bench-notes-upload setup deps dev-deps browser-deps clean bench-fresh-clone

UV_VERSION ?= 0.13.9
# uv (from PyPI) installs a lock file in seconds; pip does the same, slower, when uv cannot.
INSTALL = $(PY) -m uv pip install --quiet --python $(PY) -r $(1) \
	|| { echo "uv 不可用，改用 pip 安装 $(1)"; $(PY) -m pip install --quiet --upgrade pip && $(PY) -m pip install --quiet -r $(1); }

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "weizhi needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	-@$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@touch $@

$(VENV)/.deps: $(VENV)/.python-ok requirements.lock
	$(call INSTALL,requirements.lock)
	@touch $@

$(VENV)/.dev-deps: $(VENV)/.deps requirements-dev.lock
	$(call INSTALL,requirements-dev.lock)
	@touch $@

# WeChat's JS-SDK from the npm registry (warns and goes on when it cannot be fetched).
deps: $(VENV)/.deps
	@$(PY) -m weizhi.wechat.signin.jssdk_vendor
dev-deps: deps $(VENV)/.dev-deps

# Debian's Chromium and CJK fonts for the browser tests (Playwright cannot fetch its own here),
# and espeak-ng, the offline synthesiser the 生成示范朗读 tests run (READALOUD_TTS_COMMAND).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
		|| ! command -v espeak-ng >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk espeak-ng >/dev/null; \
	fi

# migrate, collectstatic, the demo and the first administrator, in one process; serve
# prints the addresses and the sign-in once the site answers.
setup: deps
	$(PY) manage.py bootstrap

run: setup
	$(PY) manage.py serve --host $(HOST) --port $(PORT) --stop-with-parent

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

bench-screen: dev-deps
	$(PY) bench/screen.py $(BENCH_ARGS)

bench-surveys: dev-deps
	$(PY) bench/surveys.py $(BENCH_ARGS)

bench-quiz: dev-deps
	$(PY) bench/quiz.py $(BENCH_ARGS)

bench-live: dev-deps
	$(PY) bench/live.py $(BENCH_ARGS)

bench-dashboard: dev-deps
	$(PY) bench/dashboard.py $(BENCH_ARGS)

bench-notes-upload: dev-deps
	$(PY) bench/notes_upload.py $(BENCH_ARGS)

bench-fresh-clone:
	$(PYTHON) bench/fresh_clone.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
