"""Stand-in for nixpkgs' dockerTools.buildLayeredImage (streamLayeredImage + gzip).

What it copies: a `docker load`-able docker-archive (manifest.json, image config JSON,
one layer.tar per layer) whose layers hold the Nix store closure of `contents` (one store
path per layer up to maxLayers - 1, the rest in the last store layer, like the
popularity-contest layering without the popularity order), plus a customisation layer where
the contents are symlinked into / (symlinkJoin); `config` goes into the image config as is;
`created` is fixed; the archive is gzipped (compressor "gz").
What it does not do: fakeRootCommands, enableFakechroot, includeNixDB, fromImage, uid/gid
mapping, other compressors.  The closure of the stand-in's interpreter points at the
host's /usr/bin/python3.11, so the image does not run outside this host.

Environment: out, closureFile (exportReferencesGraph output), contents, imageName, imageTag,
configJSON, created, maxLayers, extraCommands.
"""

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

MTIME = 1


def closure_paths(graph: Path) -> list[str]:
    lines = graph.read_text(encoding="utf-8").splitlines()
    paths, i = [], 0
    while i < len(lines):
        path = lines[i]
        count = int(lines[i + 2])
        paths.append(path)
        i += 3 + count
    return sorted(set(paths))


def normalize(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = MTIME
    return info


def layer_from(paths: list[Path], arcnames: list[str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, arcname in sorted(zip(paths, arcnames, strict=False), key=lambda x: x[1]):
            tar.add(str(path), arcname=arcname, recursive=True, filter=normalize)
    return buffer.getvalue()


def customisation_layer(contents: list[str], extra_commands: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        for item in contents:
            source = Path(item)
            if not source.is_dir():
                continue
            for dirpath, _dirnames, filenames in os.walk(source, followlinks=True):
                rel = Path(dirpath).relative_to(source)
                (root / rel).mkdir(parents=True, exist_ok=True)
                for filename in filenames:
                    dest = root / rel / filename
                    if not dest.exists() and not dest.is_symlink():
                        dest.symlink_to(Path(dirpath) / filename)
        if extra_commands:
            subprocess.run(["/bin/bash", "-e", "-c", extra_commands], cwd=root, check=True)
        entries = sorted(p for p in root.rglob("*"))
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for entry in entries:
                tar.add(
                    str(entry),
                    arcname=str(entry.relative_to(root)),
                    recursive=False,
                    filter=normalize,
                )
        return buffer.getvalue()


def main() -> None:
    env = os.environ
    store_paths = closure_paths(Path(env["closureFile"]))
    max_layers = int(env.get("maxLayers", "100"))
    per_path = store_paths[: max(max_layers - 2, 0)]
    rest = store_paths[len(per_path) :]
    layers = [layer_from([Path(p)], [p.lstrip("/")]) for p in per_path]
    if rest:
        layers.append(layer_from([Path(p) for p in rest], [p.lstrip("/") for p in rest]))
    layers.append(
        customisation_layer(env.get("contents", "").split(), env.get("extraCommands", ""))
    )

    config = json.loads(env["configJSON"])
    diff_ids, names = [], []
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(name: str, data: bytes) -> None:
            info = normalize(tarfile.TarInfo(name))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        for layer in layers:
            digest = hashlib.sha256(layer).hexdigest()
            diff_ids.append(f"sha256:{digest}")
            names.append(f"{digest}/layer.tar")
            add(f"{digest}/layer.tar", layer)
        image_config = {
            "architecture": env.get("architecture", "amd64"),
            "os": "linux",
            "created": env.get("created", "1970-01-01T00:00:01Z"),
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": env.get("created", "1970-01-01T00:00:01Z")} for _ in layers],
        }
        config_bytes = json.dumps(image_config, sort_keys=True).encode()
        config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
        add(config_name, config_bytes)
        repo_tag = f"{env['imageName']}:{env['imageTag']}"
        manifest = [{"Config": config_name, "RepoTags": [repo_tag], "Layers": names}]
        add("manifest.json", json.dumps(manifest, sort_keys=True).encode())
    with open(env["out"], "wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as gz:
        gz.write(archive.getvalue())


if __name__ == "__main__":
    main()
