# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ilupa-installed

.PHONY: run test bench lab install clean

# The JupyterLab extension is built by the editable install itself (hatch-jupyter-builder
# runs jlpm in labextension/; Node.js >= 20.19, as Rspack needs): its sources make the
# install stale too.
LABEXTENSION := labextension/package.json labextension/yarn.lock $(wildcard labextension/src/*)

install: $(STAMP)

$(STAMP): pyproject.toml $(LABEXTENSION)
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a == 20 && b >= 19) ? 0 : 1)' 2>/dev/null || \
		{ echo "Node.js 20.19 or newer is needed to build ilupa's JupyterLab extension (labextension/)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,browser]'
	touch $(STAMP)

## run: install, register the ilupa kernel, execute every notebook into build/notebooks
run: install
	bash tools/install_lua_libraries.sh
	$(PY) -m ilupa.kernel install --sys-prefix
	$(PY) notebooks/execute.py

## lab: open the notebooks in JupyterLab
lab: install
	$(PY) -m pip install --quiet jupyterlab
	$(VENV)/bin/jupyter lab notebooks/

## test: the whole test suite, with ruff
test: install
	bash tools/install_lua_libraries.sh --best-effort
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

## bench: speed and memory figures, as ratios; prints a table and writes benchmarks/results/latest.json
bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build ilupa/labextension labextension/lib labextension/node_modules labextension/.yarn
