"""Let ``ansible-test sanity --venv`` run offline.

ansible-test bootstraps pip in each sanity virtual environment with a get-pip script that
it downloads from a host this machine cannot reach. It uses a cached copy when one exists,
so this writes a stand-in there: it installs pip from the interpreter's own ``ensurepip``
and then the packages ansible-test asked for, from the package index.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from ansible_test._internal.python_requirements import get_venv_packages

STAND_IN = '''"""get-pip stand-in written by tests/sanity_bootstrap.py (offline bootstrap)."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True)
subprocess.run([sys.executable, "-m", "pip", "install", *args], check=True)
'''


def main() -> None:
    python = SimpleNamespace(version="3.11")
    pip_version = get_venv_packages(python)["pip"]  # type: ignore[arg-type]
    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"get_pip_{pip_version.replace('.', '_')}.py"
    if not target.exists() or target.read_text() != STAND_IN:
        target.write_text(STAND_IN)
    print(f"pip bootstrap stand-in: {target}")


if __name__ == "__main__":
    main()
