# Two entry points on a fresh clone: `make demo` and `make test`. Everything else is a
# building block of those two.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

# dbt reads the project-local profiles.yml; featureops finds the project here.
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export PATH := $(BIN):$(PATH)

# Whether the streaming demo's servers answer (NATS JetStream and Redis, default ports).
export SERVICES_UP := import socket; [socket.create_connection(("127.0.0.1", p), 1).close() for p in (4222, 6379)]

.PHONY: install deps demo demo-stream test lint data build clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

data: install
	featureops generate

# The featureops dbt package, installed through packages.yml as any project does.
deps: install
	dbt deps

build: data deps
	dbt build

demo: build
	featureops validate
	featureops list
	featureops training-set --spine train_fraud_detection__spine --exposure fraud_detection_model --timestamp-column event_at --full-feature-names --out data/training/fraud_detection.parquet
	featureops datasets verify data/training/fraud_detection.parquet
	featureops bundle --exposure fraud_detection_model --dataset data/training/fraud_detection.parquet --preprocessing bundles/fraud_detection_model.preprocessing.yml --out bundles/fraud_detection_model
	featureops leakage
	featureops materialize --end-time 2026-11-01
	featureops lookup -f feat_user__spend_windows -f feat_user__profile --entity user_id=42 --as-of 2026-11-01
	# One scoring request through the model's bundle: its features in its order, preprocessed
	# (exit 1 if a feature's definition changed since the bundle was built)
	featureops lookup --bundle bundles/fraud_detection_model --preprocess --entity merchant_id=7 --fields '{"user_id": 42, "transaction_id": 900001, "event_at": "2026-10-31T12:00:00Z", "amount": 129.9, "currency_code": "EUR", "channel": "online", "device_type": "mobile", "transaction_country_code": "FR"}' --as-of 2026-11-01
	# Streaming needs a log server and Redis; the rest of the demo needs no server
	@if $(BIN)/python -c "$$SERVICES_UP" 2>/dev/null; then $(MAKE) --no-print-directory demo-stream; \
	else echo "streaming demo skipped: it needs NATS at 127.0.0.1:4222 and Redis at 127.0.0.1:6379 (then: make demo-stream)"; fi
	featureops consistency --sample 500
	featureops contracts check
	featureops lineage --format html --out data/reports/lineage.html
	featureops lineage --exposure fraud_detection_model
	featureops audit --format markdown --out data/reports/audit.md
	# Monitoring: a week of fraud-model traffic with one drifting feature, into its own log
	# folder (so the main build above never sees it); then the build again over that log
	# with the monitors at severity warn (they report the planted drift instead of failing;
	# the latest dbt results then cover every test), the dashboard and the summary.
	featureops replay --exposure fraud_detection_model --requests int_transactions__enriched --drift feat_user__spend_windows:amount_usd_avg_7d=2.5 --out data/replay_serving_log
	FEATUREOPS_SERVING_LOG_DIR=$(CURDIR)/data/replay_serving_log dbt build --vars '{featureops_monitoring_severity: warn}'
	featureops report --out data/reports/monitoring.html
	featureops monitor --exit-zero

# The streaming part of the demo: run by demo when NATS and Redis answer, or by hand after it.
demo-stream:
	# Streaming (docs/streaming.md), in Redis beside the SQLite store above: the batch layer as
	# of 2026-10-31 12:00 and an empty stream state (a replay of the log's last second), user
	# 1888's spend as of 23:30 (the batch record alone); the rest of that day's transactions
	# (rows 49326 on, in event-time order) published to NATS JetStream and consumed; the same
	# lookup now merges batch and stream as of 23:30; then the state rebuilt from the log
	FEATUREOPS_ONLINE_STORE=redis featureops materialize --select feat_user__spend_windows --end-time 2026-10-31T12:00:00 --quiet
	FEATUREOPS_ONLINE_STORE=redis featureops stream replay --from 1s --quiet
	FEATUREOPS_ONLINE_STORE=redis featureops lookup -f feat_user__spend_windows:transaction_count_1h -f feat_user__spend_windows:amount_usd_sum_1h -f feat_user__spend_windows:amount_usd_sum_24h --entity user_id=1888 --as-of 2026-10-31T23:30:00
	featureops stream publish data/raw/transactions.parquet --offset 49326
	FEATUREOPS_ONLINE_STORE=redis featureops stream run --until-idle --quiet
	FEATUREOPS_ONLINE_STORE=redis featureops lookup -f feat_user__spend_windows:transaction_count_1h -f feat_user__spend_windows:amount_usd_sum_1h -f feat_user__spend_windows:amount_usd_sum_24h --entity user_id=1888 --as-of 2026-10-31T23:30:00
	FEATUREOPS_ONLINE_STORE=redis featureops stream replay --from 10m --quiet

test: install
	pytest

lint: install
	sqlfluff lint models tests/dbt
	ruff check featureops tests benchmarks

clean:
	rm -rf target logs data artifacts .pytest_cache dbt_packages
