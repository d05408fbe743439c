import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def manage_all(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python3 manage_all.py <args>`` as a person runs it, in ``env`` (nothing inherited)."""
    return subprocess.run([sys.executable, str(REPO / "manage_all.py"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
