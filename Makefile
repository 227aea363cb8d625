# openday — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

# Front-end libraries, pinned, vendored from the npm registry (never a CDN at run time).
BOOTSTRAP_VERSION := 5.3.9
ECHARTS_VERSION := 6.1.0
# The last echarts release that ships GeoJSON maps of China (map/json); only its maps are used.
ECHARTS_MAPS_VERSION := 4.9.0
AXE_VERSION := 4.14.1
# The check-in page's QR decoder where the browser has no BarcodeDetector (README: Front-end libraries).
JSQR_VERSION := 1.4.0
ESBUILD_VERSION := 0.28.2
# The newest Lighthouse that runs on Debian's Node.js 20 (13 wants Node 22).
LIGHTHOUSE_VERSION := 12.8.2

.PHONY: run test install install-test install-nginx vendor migrate bench clean translations messages lint lock lighthouse

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || PYTHON=python3; $${PYTHON:-$(PYTHON)} -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Installs the exact versions of requirements.lock (dev tools and the build backend included),
# then openday itself on top without resolving anything again. The build uses the locked
# setuptools and Babel (no isolation), so it needs no index and compiles the catalogues.
$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py requirements.lock
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

# Recompiles requirements.lock from the ranges in pyproject.toml (runtime and the dev extra),
# keeping every pin that still fits; `make lock LOCK_ARGS=--upgrade` takes the newest releases.
lock: $(BIN)/python
	@test -x $(BIN)/pip-compile || $(BIN)/pip install -q pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --extra dev --strip-extras \
	  --allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_ARGS) -o requirements.lock pyproject.toml

lint: install
	$(BIN)/ruff check .

instance/secret_key:
	@mkdir -p instance
	@$(BIN)/python -c 'import secrets; print(secrets.token_hex(32))' > $@
	@chmod 600 $@

migrate: install
	$(BIN)/flask db upgrade

translations: install
	$(BIN)/pybabel compile -f -d openday/translations -D messages >/dev/null

# After changing UI text: extract it and merge into the zh_Hant and en catalogues.
messages: install
	$(BIN)/pybabel extract -F openday/translations/babel.cfg -k _l -k lazy_gettext --no-location \
	  --sort-output -o openday/translations/messages.pot .
	$(BIN)/pybabel update -i openday/translations/messages.pot -d openday/translations --no-fuzzy-matching

# Serves with gunicorn on 127.0.0.1:$(PORT), with one background worker (messages, reminders,
# the purge) beside it: the trap stops the worker whenever gunicorn ends, and Ctrl-C reaches both.
# A per-checkout secret key is generated on first run; cookies are not marked Secure because this
# serves plain http on localhost.
run: install instance/secret_key translations
	SECRET_KEY=$$(cat instance/secret_key) $(BIN)/flask db upgrade
	@test -f instance/.demo-loaded || { SECRET_KEY=$$(cat instance/secret_key) $(BIN)/flask openday demo && touch instance/.demo-loaded; }
	export SECRET_KEY=$$(cat instance/secret_key) OPENDAY_SECURE_COOKIES=$${OPENDAY_SECURE_COOKIES:-0}; \
	  $(BIN)/flask openday worker & worker=$$!; \
	  trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT; \
	  $(BIN)/gunicorn -c openday/gunicorn_conf.py --bind 127.0.0.1:$(PORT) wsgi:app

install-test: install
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null && fc-list 2>/dev/null | grep -qi 'wenquanyi\|wqy' || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei poppler-utils >/dev/null; }

# The deployment tests (tests/deploy) run Debian's nginx with the Brotli module deploy/ uses.
install-test: install-nginx
install-nginx:
	@command -v nginx >/dev/null && test -e /usr/lib/nginx/modules/ngx_http_brotli_static_module.so || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-http-brotli-static >/dev/null; }

test: install-test translations lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Phones get trimmed builds: Bootstrap's CSS, its JavaScript for the header only (collapse and
# dropdown, static/vendor/src/bootstrap-nav.js) and ECharts with only the charts the stats pages
# draw (static/vendor/src/echarts.js), both bundled by esbuild.
vendor:
	rm -rf vendor-build.tmp && mkdir -p vendor-build.tmp
	cd vendor-build.tmp && echo "{\"name\":\"openday-vendor\",\"private\":true}" > package.json && npm install --no-audit --no-fund --ignore-scripts \
	  bootstrap@$(BOOTSTRAP_VERSION) echarts@$(ECHARTS_VERSION) echarts4@npm:echarts@$(ECHARTS_MAPS_VERSION) esbuild@$(ESBUILD_VERSION) axe-core@$(AXE_VERSION) jsqr@$(JSQR_VERSION) >/dev/null
	cd vendor-build.tmp && node node_modules/esbuild/install.js >/dev/null
	mkdir -p static/vendor/bootstrap static/vendor/echarts static/vendor/jsqr tests/assets/axe-core
	cp static/vendor/src/*.js static/vendor/src/*.mjs vendor-build.tmp/
	cd vendor-build.tmp && ./node_modules/.bin/esbuild bootstrap-nav.js --bundle --minify --format=iife \
	  --target=es2017 --legal-comments=none --alias:@popperjs/core=./popper-stub.js \
	  --banner:js='/*! Bootstrap v$(BOOTSTRAP_VERSION) collapse + dropdown (https://getbootstrap.com), MIT */' \
	  --outfile=../static/vendor/bootstrap/bootstrap.nav.min.js
	cd vendor-build.tmp && ./node_modules/.bin/esbuild echarts.js --bundle --minify --format=iife \
	  --global-name=echarts --target=es2017 --legal-comments=none \
	  --banner:js='/*! Apache ECharts v$(ECHARTS_VERSION) custom build (bar, line, pie, map; grid, legend, tooltip, geo, visualMap; canvas), Apache-2.0 */' \
	  --outfile=../static/vendor/echarts/echarts.custom.min.js
	rm -rf static/vendor/geo && cd vendor-build.tmp && node geo-copy.mjs
	cp vendor-build.tmp/node_modules/bootstrap/dist/css/bootstrap.min.css static/vendor/bootstrap/
	cp vendor-build.tmp/node_modules/bootstrap/LICENSE static/vendor/bootstrap/LICENSE
	cp vendor-build.tmp/node_modules/echarts/LICENSE static/vendor/echarts/LICENSE
	cp vendor-build.tmp/node_modules/jsqr/dist/jsQR.js static/vendor/jsqr/jsQR.js
	cp vendor-build.tmp/node_modules/jsqr/LICENSE static/vendor/jsqr/LICENSE
	cp vendor-build.tmp/node_modules/axe-core/axe.min.js tests/assets/axe-core/
	cp vendor-build.tmp/node_modules/axe-core/LICENSE tests/assets/axe-core/LICENSE
	printf 'bootstrap %s (collapse + dropdown)\necharts %s (custom build)\necharts %s (maps of China only, vendor/geo)\njsqr %s (QR decoder, check-in page)\nesbuild %s (build only)\naxe-core %s (tests only)\n' \
	  $(BOOTSTRAP_VERSION) $(ECHARTS_VERSION) $(ECHARTS_MAPS_VERSION) $(JSQR_VERSION) $(ESBUILD_VERSION) $(AXE_VERSION) > static/vendor/VERSIONS
	rm -rf vendor-build.tmp

# Lighthouse's mobile defaults on the demo served by gunicorn; scores printed, misses marked.
lighthouse: install-test translations
	@test -x test-artifacts/lighthouse/node_modules/.bin/lighthouse || { mkdir -p test-artifacts/lighthouse && \
	  cd test-artifacts/lighthouse && echo '{"name":"openday-lighthouse","private":true}' > package.json && \
	  npm install --no-audit --no-fund lighthouse@$(LIGHTHOUSE_VERSION) >/dev/null; }
	CHROME_PATH=/usr/bin/chromium $(BIN)/python -m tests.deploy.lighthouse

bench: install
	$(BIN)/python -m tests.bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
