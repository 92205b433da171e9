# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-engine test-app bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/nla-explorer

# Both runs go ahead; either failing fails `make test`.
test: $(STAMP)
	@status=0; \
	$(MAKE) --no-print-directory test-engine || status=1; \
	$(MAKE) --no-print-directory test-app || status=1; \
	exit $$status

# The engine tests with PySide6, shiboken6 and pyqtgraph unimportable (tests/engine/qt_blocker.py).
test-engine: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p tests.engine.qt_blocker -p no:pytest-qt tests/engine

test-app: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q --ignore=tests/engine

bench: $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) build dist *.egg-info
