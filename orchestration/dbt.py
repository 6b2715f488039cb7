"""The dbt project handle, and a manifest kept in step with the dbt sources.

Dagster reads ``target/manifest.json`` at import to build the dbt assets. It is rebuilt
(``dbt parse``, about 8 s) only when a file under ``dbt_project/`` changed since the last
parse, under a file lock, so step processes never parse again and concurrent launches
never parse twice. (dagster-dbt's ``prepare_if_dev`` would parse in every step process.)
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from prefinery.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The dbt beside this interpreter: a venv's bin/ need not be on PATH (make runs .venv/bin/...).
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path="target")
_FINGERPRINT = DBT_PROJECT_DIR / "target" / ".source-fingerprint"


def dbt_env() -> dict[str, str]:
    """What dbt needs from the environment: where the lake is."""
    return {"PREFINERY_LAKE": str(Settings.from_env().lake_root)}


def ensure_manifest() -> Path:
    fingerprint = _source_fingerprint()
    if _is_current(fingerprint):
        return dbt_project.manifest_path
    _FINGERPRINT.parent.mkdir(parents=True, exist_ok=True)
    with open(_FINGERPRINT.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_current(fingerprint):
            dbt = Path(sys.executable).with_name("dbt")
            result = subprocess.run(
                [
                    str(dbt),
                    "parse",
                    "--quiet",
                    "--project-dir",
                    str(DBT_PROJECT_DIR),
                    "--profiles-dir",
                    str(DBT_PROJECT_DIR),
                    "--target-path",
                    "target",
                ],
                cwd=DBT_PROJECT_DIR,
                env={**os.environ, **dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
            _FINGERPRINT.write_text(fingerprint)
    return dbt_project.manifest_path


def _is_current(fingerprint: str) -> bool:
    return dbt_project.manifest_path.is_file() and _FINGERPRINT.is_file() and _FINGERPRINT.read_text() == fingerprint


def _source_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(DBT_PROJECT_DIR.rglob("*")):
        relative = path.relative_to(DBT_PROJECT_DIR)
        if relative.parts[0] in ("target", "logs", "dbt_packages") or not path.is_file():
            continue
        if path.suffix in (".sql", ".yml", ".yaml", ".csv", ".md"):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
