"""Writes each sound's coarse spectrum into www/archive/manifest.json.

The values come from the Rust core (examples/clip_index.rs: the clip's
picture as the page computes it, its long-term average spectrum in 16 bands),
so that the page can rank clips by their sound before it fetches them.
Run by ./build.sh archive after build_archive.py; idempotent.
"""
import json
import subprocess
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "www/archive"
spectra = json.loads(subprocess.run(
    ["cargo", "run", "--quiet", "--release", "--example", "clip_index", "--", root],
    check=True, capture_output=True, text=True).stdout)
path = f"{root}/manifest.json"
with open(path, encoding="utf-8") as f:
    manifest = json.load(f)
for item in manifest["items"]:
    if item["kind"] == "sound":
        item["spectrum"] = spectra[item["id"]]
with open(path, "w", encoding="utf-8") as f:
    json.dump(manifest, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"spectra of {len(spectra)} sounds written to {path}")
