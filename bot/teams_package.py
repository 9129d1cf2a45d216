"""`scout teams-package`: the Teams app package (manifest.json and two icons, zipped) to sideload."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "docs" / "teams"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class PackageError(ValueError):
    pass


def write_package(app_id: str, out: Path, source: Path = PACKAGE_DIR) -> Path:
    """Fill the bot's app id into the manifest and zip it with its icons at the zip's root,
    as Teams expects."""
    if not _GUID.match(app_id or ""):
        raise PackageError(f"the Teams app id must be the bot's Microsoft App ID (a GUID), not {app_id!r}")
    template = (source / "manifest.json").read_text(encoding="utf-8")
    manifest = json.loads(template.replace("{{MICROSOFT_APP_ID}}", app_id))
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2))
        for icon in ("color.png", "outline.png"):
            package.write(source / icon, icon)
    return out
