export PATH=/work/main/.venv/bin:$PATH
export PYTHONPATH=/work/wt/share
export SEAWATCH_SHARED_DATA=/work/shared/data
export SEAWATCH_PYTHON=/work/main/.venv/bin/python
cd /work/wt/share
