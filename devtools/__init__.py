"""The implementation of manage_all.py, the developers' command line (runs inside the venv)."""
