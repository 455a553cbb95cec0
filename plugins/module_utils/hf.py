# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hugging Face Hub access for the llmops.kserve modules.

Every call goes through huggingface_hub (``HfApi.whoami`` once per run, ``HfApi.model_info`` and
``HfApi.auth_check`` per model, ``hf_hub_download`` for ``config.json``). Errors are mapped to short
reasons in plain words; 429 and 5xx answers and network errors are retried with exponential backoff.
The token is passed to huggingface_hub only; it is never part of a result or a message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import json
import os
import time
import traceback

from ansible.module_utils.basic import env_fallback

HF_IMPORT_ERROR = None
try:
    import huggingface_hub
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import (
        DisabledRepoError,
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )
    from huggingface_hub.utils import HFValidationError, validate_repo_id
    HAS_HF = True
except ImportError:
    HAS_HF = False
    HF_IMPORT_ERROR = traceback.format_exc()

try:
    from huggingface_hub.errors import RemoteEntryNotFoundError as _EntryNotFound
except ImportError:
    try:
        from huggingface_hub.errors import EntryNotFoundError as _EntryNotFound
    except ImportError:
        _EntryNotFound = None

_TRANSPORT_ERRORS = []
for _mod, _names in (("httpx2", ("TransportError",)), ("httpx", ("TransportError",)),
                     ("requests", ("ConnectionError", "Timeout"))):
    try:
        _m = __import__(_mod)
        for _n in _names:
            _TRANSPORT_ERRORS.append(getattr(_m, _n))
    except (ImportError, AttributeError):
        pass
TRANSPORT_ERRORS = tuple(_TRANSPORT_ERRORS) or (OSError,)

DEFAULT_ENDPOINT = "https://huggingface.co"
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
MAX_BACKOFF = 60.0
_TRUE = ("1", "on", "yes", "true", "y")


class HubInputError(ValueError):
    """Bad input given to the Hub helpers (message names the field and the allowed values)."""


def env_offline(environ=None):
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) asks for offline mode."""
    environ = os.environ if environ is None else environ
    value = environ.get("HF_HUB_OFFLINE") or environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in _TRUE


def normalize_endpoint(endpoint, field="endpoint"):
    """Strip the trailing slash; require an http(s) URL."""
    value = (endpoint or DEFAULT_ENDPOINT).strip()
    if not (value.startswith("http://") or value.startswith("https://")) or len(value.split("://", 1)[1]) == 0:
        raise HubInputError("%s: %r is not a URL; expected http(s)://host[:port] (for example %s)"
                            % (field, endpoint, DEFAULT_ENDPOINT))
    return value.rstrip("/")


def parse_model_ref(item, field="models"):
    """Return (repo_id, revision) from ``"org/name"``, ``"org/name@rev"`` or ``{repo_id, revision}``."""
    if isinstance(item, dict):
        unknown = sorted(set(item) - set(("repo_id", "revision")))
        if unknown:
            raise HubInputError("%s: unknown key(s) %s in %r; allowed keys are repo_id and revision"
                                % (field, ", ".join(unknown), item))
        repo_id = item.get("repo_id")
        revision = item.get("revision")
    elif isinstance(item, str):
        repo_id, sep, revision = item.partition("@")
        if not sep:
            revision = None
    else:
        raise HubInputError("%s: %r is neither a string 'org/name[@revision]' nor a dict with repo_id/revision"
                            % (field, item))
    if not isinstance(repo_id, str) or not repo_id.strip():
        raise HubInputError("%s: repo_id is missing in %r; expected 'org/name'" % (field, item))
    repo_id = repo_id.strip()
    if revision is not None:
        if not isinstance(revision, str) or not revision.strip():
            raise HubInputError("%s: revision %r of %s is empty; give a branch, tag or commit, or leave it out"
                                % (field, revision, repo_id))
        revision = revision.strip()
    problem = None
    if repo_id.count("/") != 1:
        problem = "it must be 'org/name' (exactly one '/')"
    elif HAS_HF:
        try:
            validate_repo_id(repo_id)
        except HFValidationError as exc:
            problem = str(exc).split("\n", 1)[0]
    if problem:
        raise HubInputError("%s: %r is not a valid Hugging Face repo id: %s" % (field, repo_id, problem))
    return repo_id, revision


def _status(exc):
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _retry_after(exc):
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return max(0.0, min(float(value), MAX_BACKOFF)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _first_line(exc):
    text = str(exc).strip()
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


class HubClient:
    """A thin, retrying wrapper around ``huggingface_hub.HfApi`` for one run."""

    def __init__(self, endpoint=None, token=None, timeout=10.0, retries=3, backoff=1.0, sleep=time.sleep,
                 cache_dir=None):
        if not HAS_HF:
            raise RuntimeError("huggingface_hub is required")
        if retries < 0:
            raise HubInputError("retries: %r is negative; use 0 (no retry) or more" % (retries,))
        if timeout is not None and timeout <= 0:
            raise HubInputError("timeout: %r must be a positive number of seconds" % (timeout,))
        if backoff < 0:
            raise HubInputError("retry_backoff: %r is negative; use 0 or more seconds" % (backoff,))
        self.endpoint = normalize_endpoint(endpoint)
        # False = anonymous: never fall back to a token cached on disk by `hf auth login`.
        self._token = token if token else False
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self.cache_dir = cache_dir  # None: the Hugging Face cache (HF_HOME / HF_HUB_CACHE)
        self.retried = 0
        self._whoami = None
        self._api = HfApi(endpoint=self.endpoint, token=self._token)
        self._apply_timeout()

    @property
    def has_token(self):
        return bool(self._token)

    def _apply_timeout(self):
        """huggingface_hub >= 1.0 shares one httpx client without timeout; give it ours."""
        if self.timeout is None:
            return
        try:
            session = huggingface_hub.get_session()
            timeout_cls = type(session.timeout)
            session.timeout = timeout_cls(self.timeout)
        except Exception:  # pylint: disable=broad-except
            # requests-based releases: model_info takes timeout= per call.
            pass

    def call(self, func, *args, **kwargs):
        """Run ``func`` retrying 429/5xx and network errors with exponential backoff."""
        attempt = 0
        while True:
            try:
                return func(*args, **kwargs)
            except OfflineModeIsEnabled:
                raise
            except HfHubHTTPError as exc:
                if _status(exc) not in RETRY_STATUSES or attempt >= self.retries:
                    raise
                delay = _retry_after(exc)
                if delay is None:
                    delay = min(self.backoff * (2 ** attempt), MAX_BACKOFF)
            except TRANSPORT_ERRORS:
                if attempt >= self.retries:
                    raise
                delay = min(self.backoff * (2 ** attempt), MAX_BACKOFF)
            attempt += 1
            self.retried += 1
            self._sleep(delay)

    # ------------------------------------------------------------------------------------------
    def whoami(self):
        """Validate the token with one whoami-v2 call (cached for the run). Never returns the token."""
        if self._whoami is not None:
            return self._whoami
        if not self.has_token:
            self._whoami = {"token_state": "missing", "token_valid": False, "account": None,
                            "reason": "no token given (set the token option or the HF_TOKEN environment variable); "
                                      "checks run anonymously"}
            return self._whoami
        try:
            data = self.call(self._api.whoami, cache=True)
        except Exception as exc:  # pylint: disable=broad-except
            state, reason = self.describe_error(exc, what="token check")
            self._whoami = {"token_state": state, "token_valid": False, "account": None, "reason": reason}
            return self._whoami
        auth = (data.get("auth") or {}).get("accessToken") or {}
        account = {
            "name": data.get("name"),
            "type": data.get("type"),
            "fullname": data.get("fullname"),
            "orgs": sorted(o.get("name") for o in data.get("orgs") or [] if o.get("name")),
            "token_name": auth.get("displayName"),
            "token_role": auth.get("role"),
        }
        self._whoami = {"token_state": "valid", "token_valid": True, "account": account,
                        "reason": "token is valid for %s '%s'" % (account["type"] or "account", account["name"])}
        return self._whoami

    def describe_error(self, exc, what="request", repo_id=None, revision=None):
        """Map an exception to (state, reason in plain words)."""
        who = None
        if self._whoami and self._whoami.get("account"):
            who = self._whoami["account"]["name"]
        status = _status(exc)
        retried = " after %d retries" % self.retries if self.retries else ""
        if isinstance(exc, OfflineModeIsEnabled):
            return "offline", "offline mode is on (HF_HUB_OFFLINE): %s not done" % what
        if isinstance(exc, GatedRepoError):
            if not self.has_token:
                return "gated", ("gated: accepting the model's terms and a token are required; no token was given")
            return "gated", ("gated: the account %s has not been granted access; accept the terms at %s/%s"
                             % ("'%s'" % who if who else "of this token", self.endpoint, repo_id))
        if isinstance(exc, RevisionNotFoundError):
            return "revision_not_found", "revision '%s' does not exist in %s" % (revision, repo_id)
        if _EntryNotFound is not None and isinstance(exc, _EntryNotFound):
            return "file_not_found", "%s has no such file at revision %s" % (repo_id, revision or "main")
        if isinstance(exc, RepositoryNotFoundError):
            if self.has_token:
                return "not_found", ("not found: the repository does not exist, or it is private and the account %s "
                                     "has no access" % ("'%s'" % who if who else "of this token"))
            return "not_found", ("not found: the repository does not exist, or it is private or gated and no token "
                                 "was given")
        if isinstance(exc, DisabledRepoError):
            return "disabled", "the repository has been disabled on the Hub"
        if isinstance(exc, HfHubHTTPError):
            if status == 401:
                return "invalid", "the token was rejected (401 invalid credentials)"
            if status == 403:
                return "forbidden", ("forbidden (403): the token lacks the permission for this %s "
                                     "(a fine-grained token without read access?)" % what)
            if status == 429:
                return "rate_limited", "rate limited by the Hub (429)%s; try again later" % retried
            if status is not None and status >= 500:
                return "server_error", "the Hub answered %d (server error)%s" % (status, retried)
            return "http_error", "the Hub answered %s: %s" % (status, _first_line(exc))
        if isinstance(exc, TRANSPORT_ERRORS) or isinstance(exc, OSError):
            return "unreachable", "could not reach %s%s: %s" % (self.endpoint, retried, _first_line(exc))
        return "error", "%s failed: %s: %s" % (what, type(exc).__name__, _first_line(exc))

    def check_model(self, repo_id, revision=None):
        """exists / private / gated / accessible / reason for one model."""
        result = {"repo_id": repo_id, "revision": revision, "checked": True, "exists": None, "private": None,
                  "gated": None, "accessible": False, "sha": None, "state": None, "reason": None}
        if self._whoami and self._whoami["token_state"] == "invalid":
            result.update(checked=False, state="token_invalid",
                          reason="not checked: the token is invalid (fix the token first)")
            return result
        try:
            info = self.call(self._api.model_info, repo_id, revision=revision, timeout=self.timeout)
        except Exception as exc:  # pylint: disable=broad-except
            state, reason = self.describe_error(exc, what="model lookup", repo_id=repo_id, revision=revision)
            result.update(state=state, reason=reason)
            if state == "not_found":
                result["exists"] = False
            elif state == "revision_not_found":
                result["exists"] = True
            elif state in ("offline", "invalid"):
                result["checked"] = False
            return result
        result.update(exists=True, private=bool(info.private), gated=info.gated if info.gated else False,
                      sha=info.sha)
        try:
            self.call(self._api.auth_check, repo_id)
        except Exception as exc:  # pylint: disable=broad-except
            state, reason = self.describe_error(exc, what="access check", repo_id=repo_id, revision=revision)
            result.update(state=state, reason=reason)
            return result
        kind = []
        if result["private"]:
            kind.append("private")
        if result["gated"]:
            kind.append("gated (%s approval)" % result["gated"])
        who = (self._whoami or {}).get("account") or {}
        if who.get("name"):
            reason = "accessible to '%s'" % who["name"]
        else:
            reason = "accessible without a token"
        if kind:
            reason = "%s; %s" % (" and ".join(kind), reason)
        result.update(accessible=True, state="accessible", reason=reason)
        return result

    def fetch_config(self, repo_id, revision=None, local_files_only=False):
        """Download (or read from the HF cache) ``config.json`` and return it as a dict."""
        path = self.call(hf_hub_download, repo_id, "config.json", revision=revision, endpoint=self.endpoint,
                         token=self._token, etag_timeout=self.timeout or 10, local_files_only=local_files_only,
                         cache_dir=self.cache_dir)
        with open(path, "r", encoding="utf-8") as handle:
            return json.load(handle)

    def safetensors_parameters(self, repo_id, revision=None):
        """Parameter count the Hub reports from the safetensors headers, or None."""
        info = self.call(self._api.model_info, repo_id, revision=revision, timeout=self.timeout,
                         expand=["safetensors"])
        st = getattr(info, "safetensors", None)
        total = getattr(st, "total", None) if st is not None else None
        if total is None and isinstance(st, dict):
            total = st.get("total")
        return int(total) if total else None


def offline_result(endpoint, refs, has_token, why):
    """The answer when offline mode is on: nothing is contacted."""
    reason = "offline mode is on (%s): the Hub was not contacted" % why
    return {
        "offline": True,
        "endpoint": endpoint,
        "token_provided": has_token,
        "token_valid": False,
        "token_state": "offline",
        "token_reason": reason,
        "account": None,
        "models": [{"repo_id": r, "revision": rev, "checked": False, "exists": None, "private": None, "gated": None,
                    "accessible": False, "sha": None, "state": "offline", "reason": reason} for r, rev in refs],
        "all_accessible": False,
        "retries_used": 0,
    }


def check_hub(client, refs):
    """whoami once, then model_info + auth_check per (repo_id, revision)."""
    who = client.whoami()
    if who["token_state"] == "offline":
        return offline_result(client.endpoint, refs, client.has_token, "HF_HUB_OFFLINE")
    models = [client.check_model(repo_id, revision) for repo_id, revision in refs]
    return {
        "offline": False,
        "endpoint": client.endpoint,
        "token_provided": client.has_token,
        "token_valid": who["token_valid"],
        "token_state": who["token_state"],
        "token_reason": who["reason"],
        "account": who["account"],
        "models": models,
        "all_accessible": all(m["accessible"] for m in models),
        "retries_used": client.retried,
    }


def hub_argument_spec():
    """Connection options shared by the modules that talk to the Hub (see doc fragment llmops.kserve.hf_hub)."""
    return dict(
        token=dict(type="str", no_log=True, fallback=(env_fallback, ["HF_TOKEN"])),
        endpoint=dict(type="str", fallback=(env_fallback, ["HF_ENDPOINT"])),
        offline=dict(type="bool", default=False),
        timeout=dict(type="float", default=10.0),
        retries=dict(type="int", default=3),
        retry_backoff=dict(type="float", default=1.0),
    )
