"""The HTTP feature server (FastAPI on uvicorn), its auth, metrics and serving log."""
