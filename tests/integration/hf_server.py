# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Hugging Face Hub look-alike for tests.

It listens on 127.0.0.1 on a free port and answers the endpoints that huggingface_hub (2.x) calls
the way the Hub does, including the ``X-Error-Code`` / ``X-Error-Message`` headers the client maps
to its exceptions:

* ``GET /api/whoami-v2``                                  (whoami)
* ``GET /api/models/<ns>/<name>[/revision/<rev>]``        (model_info)
* ``GET /api/models/<ns>/<name>/auth-check``              (auth_check)
* ``GET /api/models/<ns>/<name>/tree/<rev>[/<path>]``    (list_repo_tree, which snapshot_download uses)
* ``HEAD|GET /<ns>/<name>/resolve/<rev>/<file>``         (hf_hub_download)

Revisions resolve like the Hub's: a branch or tag of the repo (``refs``), or a 40-hex commit SHA the repo
has; anything else answers 404 RevisionNotFound. Repos with real files per commit (``commits``, e.g.
``GATED_TINY``: config.json, a valid safetensors file, tokenizer files) serve them with the headers
huggingface_hub reads (``X-Repo-Commit``, ``ETag`` = git blob id or LFS sha256, ``Content-Length``), so
``huggingface_hub.snapshot_download`` (what KServe's storage initializer runs for ``hf://``) downloads them.
The older repos carry only a config.json at ``main`` and accept ``v*`` tags (each its own commit).

Access rules follow the Hub: a bad token gets 401 "Invalid credentials in Authorization header" on every
endpoint; a private repo answers 401 RepoNotFound without a token and 404 RepoNotFound with a token that
has no access; a gated repo shows its metadata to everyone, but auth-check and file downloads answer
401 GatedRepo without a token and 403 GatedRepo for an account that has not been granted access.
``fail_next`` makes an endpoint answer 429 (or another status) a number of times before it succeeds.
Every request is recorded (method, path, whether it carried a token) so tests can count calls;
the token values themselves are never recorded.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

GOOD_TOKEN = "hf_goodTOKENvalue0123456789abcdefXYZ"
NO_GATED_TOKEN = "hf_noGatedAccessTOKEN0123456789abcd"
BAD_TOKEN = "hf_badTOKENvalue0123456789abcdefXYZ"

CONFIG_FIELDS = ("model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                 "num_key_value_heads", "vocab_size", "max_position_embeddings", "tie_word_embeddings", "hidden_act",
                 "torch_dtype")


def _config(architecture, *values):
    """A transformers config.json: the architecture and CONFIG_FIELDS, in this order."""
    return {"architectures": [architecture], **dict(zip(CONFIG_FIELDS, values))}


LLAMA_8B_CONFIG = _config("LlamaForCausalLM", "llama", 4096, 14336, 32, 32, 8, 128256, 131072, False, "silu", "bfloat16")
QWEN_05B_CONFIG = _config("Qwen2ForCausalLM", "qwen2", 896, 4864, 24, 14, 2, 151936, 32768, True, "silu", "bfloat16")

GATED_TINY = "llmops-test/gated-tiny"

TINY_LLAMA_CONFIG = _config("LlamaForCausalLM", "llama", 64, 128, 1, 1, 1, 8, 128, True, "silu", "float32")


def _safetensors(name, values):
    """A valid safetensors file: one 1-D F32 tensor (8-byte header length, JSON header, raw little-endian data)."""
    import struct  # pylint: disable=import-outside-toplevel
    data = struct.pack("<%df" % len(values), *values)
    header = json.dumps({name: {"dtype": "F32", "shape": [len(values)], "data_offsets": [0, len(data)]},
                         "__metadata__": {"format": "pt"}}, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + data


def _tiny_files(generation):
    """Files of GATED_TINY at one of its two commits (generation 1: the older commit, 2: main)."""
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "hello": 3, "world": 4, "llm": 5, "ops": 6, "!": 7}
    tokenizer = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
                 "normalizer": None, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None,
                 "decoder": None, "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}}
    files = {
        "config.json": json.dumps(dict(TINY_LLAMA_CONFIG, llmops_generation=generation), indent=2).encode(),
        "model.safetensors": _safetensors("model.embed_tokens.weight", [float(generation)] * 16),
        "tokenizer.json": json.dumps(tokenizer, indent=2).encode(),
        "tokenizer_config.json": json.dumps({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>",
                                             "eos_token": "</s>", "unk_token": "<unk>"}, indent=2).encode(),
    }
    if generation >= 2:
        files["generation_config.json"] = json.dumps({"bos_token_id": 1, "eos_token_id": 2}).encode()
    return files


# The two commits of GATED_TINY: main is the newer; tag v1.0 is the older one.
GATED_TINY_OLD_COMMIT = hashlib.sha1(b"llmops-test/gated-tiny@1").hexdigest()
GATED_TINY_MAIN_COMMIT = hashlib.sha1(b"llmops-test/gated-tiny@2").hexdigest()


def _users():
    return {
        GOOD_TOKEN: {
            "type": "user",
            "id": "6500000000000000000000a1",
            "name": "alice",
            "fullname": "Alice Example",
            "isPro": False,
            "orgs": [
                {"type": "org", "name": "llmops", "fullname": "LLMOps", "roleInOrg": "write"},
                {"type": "org", "name": "acme", "fullname": "ACME", "roleInOrg": "read"},
            ],
            "auth": {"type": "access_token", "accessToken": {"displayName": "ci-read", "role": "read"}},
        },
        NO_GATED_TOKEN: {
            "type": "user",
            "id": "6500000000000000000000b2",
            "name": "bob",
            "fullname": "Bob Example",
            "isPro": False,
            "orgs": [],
            "auth": {"type": "access_token", "accessToken": {"displayName": "bob-read", "role": "read"}},
        },
    }


def _models():
    return {
        "meta-llama/Llama-3.1-8B-Instruct": {
            "private": False,
            "gated": "manual",
            "allowed": {"alice"},
            "config": LLAMA_8B_CONFIG,
            "safetensors": {"parameters": {"BF16": 8030261248}, "total": 8030261248},
        },
        "Qwen/Qwen2.5-0.5B-Instruct": {
            "private": False,
            "gated": False,
            "allowed": set(),
            "config": QWEN_05B_CONFIG,
            "safetensors": {"parameters": {"BF16": 494032768}, "total": 494032768},
        },
        "llmops/private-model": {
            "private": True,
            "gated": False,
            "allowed": {"alice"},
            "config": QWEN_05B_CONFIG,
            "safetensors": None,
        },
        "acme/secret-model": {
            "private": True,
            "gated": False,
            "allowed": set(),
            "config": QWEN_05B_CONFIG,
            "safetensors": None,
        },
        GATED_TINY: {
            "private": False,
            "gated": "manual",
            "allowed": {"alice"},
            "config": TINY_LLAMA_CONFIG,
            "safetensors": {"parameters": {"F32": 16}, "total": 16},
            "refs": {"main": GATED_TINY_MAIN_COMMIT, "v1.0": GATED_TINY_OLD_COMMIT},
            "commits": {GATED_TINY_OLD_COMMIT: _tiny_files(1), GATED_TINY_MAIN_COMMIT: _tiny_files(2)},
        },
    }


COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")


def _resolve_revision(repo_id, model, revision):
    """(commit, {path: bytes}) of a revision, or None when the repo has no such revision (as the Hub)."""
    revision = revision or "main"
    if "commits" in model:
        commit = model["refs"].get(revision)
        if commit is None and COMMIT_RE.match(revision) and revision in model["commits"]:
            commit = revision
        return (commit, model["commits"][commit]) if commit else None
    # Older repos: a config.json at main; any v* tag is its own commit; their commits resolve too.
    files = {"config.json": json.dumps(model["config"], indent=2).encode()}
    known = {_sha(repo_id + "main"): "main"}
    if revision == "main" or revision.startswith("v"):
        return _sha(repo_id + revision), files
    if COMMIT_RE.match(revision) and revision in known:
        return revision, files
    return None


def _blob_id(payload):
    return hashlib.sha1(b"blob %d\0" % len(payload) + payload).hexdigest()


def _is_lfs(path):
    return path.endswith((".safetensors", ".bin", ".gguf"))


def _sha(text):
    return hashlib.sha1(text.encode()).hexdigest()


class HubState:
    """What the fake Hub knows; tests may change it between calls."""

    def __init__(self):
        self.users = _users()
        self.models = _models()
        self.fail_next = {}  # key ("whoami", "model_info", "auth_check", "resolve") -> [status, count]
        self.requests = []
        self.downloads = []  # (repo_id, commit, file, method) of every file served
        self.lock = threading.Lock()

    def fail(self, key, count, status=429):
        with self.lock:
            self.fail_next[key] = [status, count]

    def count(self, key):
        with self.lock:
            return sum(1 for r in self.requests if r[0] == key)

    def take_failure(self, key):
        with self.lock:
            entry = self.fail_next.get(key)
            if entry and entry[1] > 0:
                entry[1] -= 1
                return entry[0]
        return None


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeHub/1.0"
    protocol_version = "HTTP/1.1"

    # --- plumbing -------------------------------------------------------------------------------
    def log_message(self, format, *args):  # noqa: A002  pylint: disable=redefined-builtin
        """Stay quiet: tests look at recorded requests instead."""

    @property
    def state(self):
        return self.server.state

    def _send(self, status, body=None, headers=None, head=False):
        payload = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        if body is not None and not isinstance(body, bytes):
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(payload)

    def _error(self, status, message, code=None, head=False):
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, {"error": message}, headers, head=head)

    def _token(self):
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return None

    def _user(self):
        """(token_given, user or None); user None with a token means a bad token."""
        token = self._token()
        if token is None:
            return False, None
        return True, self.state.users.get(token)

    def _record(self, key):
        with self.state.lock:
            self.state.requests.append((key, self.command, urlsplit(self.path).path, self._token() is not None))

    # --- routing --------------------------------------------------------------------------------
    def do_HEAD(self):  # noqa: N802
        self._route(head=True)

    def do_GET(self):  # noqa: N802
        self._route(head=False)

    def _route(self, head):
        path = unquote(urlsplit(self.path).path)
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "whoami-v2"]:
            return self._whoami("whoami", head)
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            repo_id = "/".join(parts[2:4])
            rest = parts[4:]
            if rest == ["auth-check"]:
                return self._auth_check("auth_check", repo_id, head)
            if not rest:
                return self._model_info("model_info", repo_id, None, head)
            if rest[0] == "revision" and len(rest) >= 2:
                return self._model_info("model_info", repo_id, "/".join(rest[1:]), head)
            if rest[0] == "tree" and len(rest) >= 2:
                return self._tree("tree", repo_id, rest[1], "/".join(rest[2:]), head)
        if len(parts) >= 5 and parts[2] == "resolve":
            repo_id = "/".join(parts[:2])
            return self._resolve("resolve", repo_id, parts[3], "/".join(parts[4:]), head)
        self._record("other")
        return self._error(404, "Sorry, we can't find the page you are looking for.", head=head)

    def _preamble(self, key, head):
        """Record, inject configured failures, reject bad tokens. Returns (ok, user)."""
        self._record(key)
        status = self.state.take_failure(key)
        if status is not None:
            if status == 429:
                headers = {"Retry-After": "0", "RateLimit": '"api";r=0;t=1',
                           "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}
                self._send(429, {"error": "Too Many Requests"}, headers, head=head)
            else:
                self._send(status, {"error": "Internal Error"}, head=head)
            return False, None
        given, user = self._user()
        if given and user is None:
            self._error(401, "Invalid credentials in Authorization header", head=head)
            return False, None
        return True, user

    # --- endpoints ------------------------------------------------------------------------------
    def _whoami(self, key, head):
        ok, user = self._preamble(key, head)
        if not ok:
            return None
        if user is None:
            return self._error(401, "Invalid username or password.", head=head)
        return self._send(200, user, head=head)

    def _visible(self, repo_id, user, head):
        """Private-repo rules shared by every repo endpoint. Returns the model or None (answered)."""
        model = self.state.models.get(repo_id)
        if model is None or (model["private"] and (user is None or user["name"] not in model["allowed"])):
            if user is None:
                self._error(401, "Repository not found", "RepoNotFound", head=head)
            else:
                self._error(404, "Repository not found", "RepoNotFound", head=head)
            return None
        return model

    def _gate(self, repo_id, model, user, head):
        if model["gated"] and (user is None or user["name"] not in model["allowed"]):
            if user is None:
                self._error(401, "Access to model %s is restricted. You must have access to it and be "
                                 "authenticated to access it. Please log in." % repo_id, "GatedRepo", head=head)
            else:
                self._error(403, "Access to model %s is restricted and you are not in the authorized list. "
                                 "Visit https://huggingface.co/%s to ask for access." % (repo_id, repo_id),
                            "GatedRepo", head=head)
            return False
        return True

    def _at_revision(self, key, repo_id, revision, head, gate=False):
        """(model, (commit, files)) visible to the caller (and past the gate when gate=True), or None once the
        error has been sent."""
        ok, user = self._preamble(key, head)
        if not ok:
            return None
        model = self._visible(repo_id, user, head)
        if model is None or (gate and not self._gate(repo_id, model, user, head)):
            return None
        resolved = _resolve_revision(repo_id, model, revision)
        if resolved is None:
            self._error(404, "Invalid rev id: %s" % revision, "RevisionNotFound", head=head)
            return None
        return model, resolved

    def _model_info(self, key, repo_id, revision, head):
        found = self._at_revision(key, repo_id, revision, head)
        if found is None:
            return None
        model, (commit, files) = found
        siblings = [{"rfilename": "config.json"}, {"rfilename": "model.safetensors"}]
        if "commits" in model:
            siblings = [{"rfilename": path} for path in sorted(files)]
        body = {
            "_id": _sha(repo_id)[:24],
            "id": repo_id,
            "modelId": repo_id,
            "author": repo_id.split("/")[0],
            "sha": commit,
            "private": model["private"],
            "gated": model["gated"],
            "disabled": False,
            "tags": ["transformers", "safetensors"],
            "pipeline_tag": "text-generation",
            "library_name": "transformers",
            "siblings": siblings,
        }
        if model.get("safetensors"):
            body["safetensors"] = model["safetensors"]
        return self._send(200, body, head=head)

    def _auth_check(self, key, repo_id, head):
        ok, user = self._preamble(key, head)
        if not ok:
            return None
        model = self._visible(repo_id, user, head)
        if model is None or not self._gate(repo_id, model, user, head):
            return None
        return self._send(200, {"accessRequest": None} if model["gated"] else {}, head=head)

    def _tree(self, key, repo_id, revision, prefix, head):
        """The file listing at a revision (metadata, visible like model_info: the gate guards the files)."""
        found = self._at_revision(key, repo_id, revision, head)
        if found is None:
            return None
        resolved = found[1]
        entries = []
        for path, payload in sorted(resolved[1].items()):
            if prefix and not path.startswith(prefix.rstrip("/") + "/"):
                continue
            entry = {"type": "file", "oid": _blob_id(payload), "size": len(payload), "path": path}
            if _is_lfs(path):
                entry["lfs"] = {"oid": hashlib.sha256(payload).hexdigest(), "size": len(payload), "pointerSize": 134}
            entries.append(entry)
        return self._send(200, entries, head=head)

    def _resolve(self, key, repo_id, revision, filename, head):
        found = self._at_revision(key, repo_id, revision, head, gate=True)
        if found is None:
            return None
        commit, files = found[1]
        if filename not in files:
            return self._error(404, "Entry not found", "EntryNotFound", head=head)
        payload = files[filename]
        # The Hub's ETag is the LFS sha256 for LFS files, the git blob id otherwise.
        etag = hashlib.sha256(payload).hexdigest() if _is_lfs(filename) else _blob_id(payload)
        headers = {
            "X-Repo-Commit": commit,
            "ETag": '"%s"' % etag,
            "Accept-Ranges": "bytes",
        }
        if _is_lfs(filename):
            headers["X-Linked-Etag"] = '"%s"' % etag
            headers["X-Linked-Size"] = str(len(payload))
        with self.state.lock:
            self.state.downloads.append((repo_id, commit, filename, self.command))
        return self._send(200, payload, headers, head=head)


class FakeHub:
    """Start with ``with FakeHub() as hub:``; ``hub.endpoint`` is the base URL."""

    def __init__(self, host="127.0.0.1", port=0):
        self.state = HubState()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-hub", daemon=True)

    @property
    def endpoint(self):
        host, port = self._server.server_address[:2]
        return "http://%s:%d" % (host, port)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":  # pragma: no cover - manual use: python tests/integration/hf_server.py
    import sys
    import time

    hub = FakeHub(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    sys.stdout.write("HF_ENDPOINT=%s\n" % hub.endpoint)
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        hub.stop()
