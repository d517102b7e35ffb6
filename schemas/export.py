"""Write the JSON Schema of every exported record to schemas/<name>.schema.json.

Run `python -m schemas.export` after changing a model; tests/test_schemas.py fails while an export is stale.
"""

from __future__ import annotations

import json
from pathlib import Path

from schemas.story import EXPORTED

SCHEMA_DIR = Path(__file__).resolve().parent


def render(name: str) -> str:
    """The JSON Schema text of one exported record, as checked in."""
    schema = EXPORTED[name].model_json_schema()
    schema["$id"] = f"https://wirebeam.dev/schemas/{name}.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    for name in EXPORTED:
        path = SCHEMA_DIR / f"{name}.schema.json"
        path.write_text(render(name), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
