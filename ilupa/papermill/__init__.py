"""papermill: the Lua parameter translator (`translator.py`) and the engine plugin that
registers it (`engine.py`). Its modules import papermill itself by absolute imports."""
