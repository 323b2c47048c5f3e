"""Makes src/test/resources/hub/: a Hugging Face cache written by the real huggingface_hub.

A small fake hub (http.server on 127.0.0.1) serves one timm-style model repository the way the
Hugging Face hub answers `resolve` requests: config.json (a regular git file: ETag = git blob
SHA-1) and model.safetensors (an LFS file: 302 to a storage host, X-Linked-Etag = SHA-256,
X-Linked-Size), both with X-Repo-Commit. huggingface_hub.hf_hub_download (HF_ENDPOINT pointing at
the fake hub) then fills hub/hf-cache/ as it fills ~/.cache/huggingface/hub. layout.txt lists
that tree (kind, symlink target, size, ref contents) so that the Java tests can check that
jvision writes the same layout and finds the files offline.

config.json is what timm's save_config_for_hf writes for convnext_atto.d2_in1k, with
num_classes 1000; model.safetensors holds two tiny tensors (the layout matters here, not the
weights). Run: /work/venv/bin/python src/test/python/make_hf_cache_fixture.py
"""
import hashlib
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import torch
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parents[1] / "resources" / "hub"
REPO = "timm/convnext_atto.jvision_fixture"
COMMIT = hashlib.sha1(b"jvision hf cache fixture, commit 1").hexdigest()


def make_files(tmp: Path) -> dict:
    import timm
    from timm.models._hub import save_config_for_hf

    model = timm.create_model("convnext_atto.d2_in1k", pretrained=False)
    save_config_for_hf(model, tmp / "config.json")
    g = torch.Generator().manual_seed(0)
    save_file({"head.fc.bias": torch.randn(10, generator=g), "stem.0.weight": torch.randn(4, 3, 2, 2, generator=g)},
              str(tmp / "model.safetensors"), metadata={"format": "pt"})
    files = {}
    for name in ("config.json", "model.safetensors"):
        data = (tmp / name).read_bytes()
        files[name] = data
    return files


def serve(files: dict):
    lfs = {"model.safetensors"}

    class Hub(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def answer(self, body: bool):
            port = self.server.server_address[1]
            prefix = f"/{REPO}/resolve/main/"
            if self.path.startswith(f"/{REPO}/resolve/{COMMIT}/"):
                prefix = f"/{REPO}/resolve/{COMMIT}/"  # a revision given as the commit
            if self.path.startswith("/cdn/"):
                sha = self.path[len("/cdn/"):]
                data = next(d for d in files.values() if hashlib.sha256(d).hexdigest() == sha)
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)
                return
            if not self.path.startswith(prefix) or self.path[len(prefix):] not in files:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            name = self.path[len(prefix):]
            data = files[name]
            if name in lfs:
                sha = hashlib.sha256(data).hexdigest()
                self.send_response(302)
                # another host name for the same server: the storage host of LFS files
                self.send_header("Location", f"http://localhost:{port}/cdn/{sha}")
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("X-Linked-Etag", f'"{sha}"')
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("ETag", '"' + git_sha1(b"version https://git-lfs.github.com/spec/v1\n") + '"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", f'"{git_sha1(data)}"')
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

        def do_HEAD(self):
            self.answer(False)

        def do_GET(self):
            self.answer(True)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def layout(cache: Path) -> str:
    lines = []
    for p in sorted(cache.rglob("*")):
        rel = p.relative_to(cache).as_posix()
        if rel.startswith(".locks") or rel == "CACHEDIR.TAG":
            continue  # lock files and the backup tag are not part of what readers rely on
        if p.is_symlink():
            lines.append(f"link {rel} -> {os.readlink(p)}")
        elif p.is_dir():
            lines.append(f"dir {rel}")
        elif "/refs/" in "/" + rel:
            lines.append(f"ref {rel} = {p.read_text()}")
        else:
            lines.append(f"file {rel} {p.stat().st_size}")
    return "\n".join(lines) + "\n"


def main():
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        files = make_files(tmp)
        server = serve(files)
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        os.environ.pop("HF_HUB_OFFLINE", None)
        os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
        from huggingface_hub import hf_hub_download
        import huggingface_hub

        cache = OUT / "hf-cache"
        shutil.rmtree(cache, ignore_errors=True)
        for name in ("config.json", "model.safetensors"):
            hf_hub_download(REPO, name, cache_dir=str(cache), endpoint=endpoint)
        server.shutdown()
        shutil.rmtree(cache / ".locks", ignore_errors=True)
        (cache / "CACHEDIR.TAG").unlink(missing_ok=True)
        (OUT / "layout.txt").write_text(layout(cache))
        meta = {"repo": REPO, "commit": COMMIT, "huggingface_hub": huggingface_hub.__version__,
                "files": {n: {"size": len(d), "sha256": hashlib.sha256(d).hexdigest(), "git_sha1": git_sha1(d)}
                          for n, d in files.items()}}
        (OUT / "fixture.json").write_text(json.dumps(meta, indent=2) + "\n")
        print((OUT / "layout.txt").read_text())


if __name__ == "__main__":
    sys.exit(main())
