#!/usr/bin/python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: hf_token_info
short_description: Check a Hugging Face token and whether it can read the given models
version_added: "0.1.0"
description:
  - Validates a Hugging Face token with one call to the Hub's C(whoami-v2) endpoint (it is strictly
    rate limited, so it is called once per run) and returns the account name and organisations.
  - For each model, looks the repository up (C(model_info)) and checks read access (C(auth_check)),
    and says whether it exists, is private, is gated, and is accessible with this token, with the
    reason in plain words.
  - All calls go through C(huggingface_hub). 429 and 5xx answers and network errors are retried with
    exponential backoff.
  - The module only reads; it never changes anything and supports check mode. The token is never
    returned or logged.
  - Problems with the token or a model are reported in the result (RV(token_valid), RV(models),
    RV(all_accessible)), they do not fail the task; the task fails only on bad input or when
    huggingface_hub is missing. Use M(ansible.builtin.assert) on the result to gate a play.
author:
  - llmops.kserve contributors (@llmops)
extends_documentation_fragment:
  - llmops.kserve.hf_hub
options:
  models:
    description:
      - Models to check.
      - Each item is either a string V(org/name) or V(org/name@revision), or a dict with keys
        C(repo_id) and optional C(revision) (branch, tag or commit).
    type: list
    elements: raw
    default: []
attributes:
  check_mode:
    support: full
    description: The module never changes anything, so check mode runs the same checks.
notes:
  - The Hub does not tell a private repository you cannot see from one that does not exist; both are
    reported with RV(models[].exists=false) and a reason saying so.
  - When the token is rejected, the models are not checked (RV(models[].checked=false)).
seealso:
  - module: llmops.kserve.model_sizing_info
"""

EXAMPLES = r"""
- name: Check the Hugging Face token from HF_TOKEN and access to the models to deploy
  llmops.kserve.hf_token_info:
    models:
      - meta-llama/Llama-3.1-8B-Instruct
      - Qwen/Qwen2.5-7B-Instruct@main
      - repo_id: mistralai/Mistral-7B-Instruct-v0.3
        revision: main
  register: hf

- name: Stop early when a model cannot be read
  ansible.builtin.assert:
    that:
      - hf.token_valid
      - hf.all_accessible
    fail_msg: "{{ hf.models | rejectattr('accessible') | map(attribute='reason') | list }}"

- name: Use a mirror, with a token from a vaulted variable
  llmops.kserve.hf_token_info:
    endpoint: https://hf-mirror.example.com
    token: "{{ vault_hf_token }}"
    models: [Qwen/Qwen2.5-0.5B-Instruct]
    retries: 5
"""

RETURN = r"""
offline:
  description: Whether offline mode was on (option O(offline) or E(HF_HUB_OFFLINE)); then nothing was contacted.
  returned: always
  type: bool
  sample: false
endpoint:
  description: The Hub URL that was queried.
  returned: always
  type: str
  sample: https://huggingface.co
token_provided:
  description: Whether a token was given (option or E(HF_TOKEN)).
  returned: always
  type: bool
  sample: true
token_valid:
  description: Whether the Hub accepted the token. V(false) also when no token was given or when it could not be checked.
  returned: always
  type: bool
  sample: true
token_state:
  description:
    - V(valid), V(invalid) (rejected by the Hub), V(missing) (no token), V(offline), or why it could not be checked
      (V(rate_limited), V(server_error), V(unreachable), V(forbidden), V(http_error), V(error)).
  returned: always
  type: str
  sample: valid
token_reason:
  description: The token check in plain words.
  returned: always
  type: str
  sample: token is valid for user 'alice'
account:
  description: Who the token belongs to (null unless the token is valid). Never contains the token.
  returned: always
  type: dict
  contains:
    name:
      description: Account name.
      type: str
      sample: alice
    type:
      description: V(user) or V(org).
      type: str
      sample: user
    fullname:
      description: Display name.
      type: str
      sample: Alice Example
    orgs:
      description: Names of the organisations the account belongs to.
      type: list
      elements: str
      sample: [acme, llmops]
    token_name:
      description: The display name the user gave the token (not the token).
      type: str
      sample: ci-read
    token_role:
      description: The token's role, V(read), V(write) or V(fineGrained).
      type: str
      sample: read
models:
  description: One entry per requested model, in the given order.
  returned: always
  type: list
  elements: dict
  contains:
    repo_id:
      description: Repository id.
      type: str
      sample: meta-llama/Llama-3.1-8B-Instruct
    revision:
      description: Requested revision, or null for the default branch.
      type: str
      sample: main
    checked:
      description: Whether the Hub was asked (false when offline or when the token is invalid).
      type: bool
      sample: true
    exists:
      description: Whether the repository exists (and, for a private one, is visible to this token); null when unknown.
      type: bool
      sample: true
    private:
      description: Whether the repository is private; null when unknown.
      type: bool
      sample: false
    gated:
      description: V(false), or the gating mode V(auto) / V(manual); null when unknown.
      type: raw
      sample: manual
    accessible:
      description: Whether this token can download the model's files.
      type: bool
      sample: true
    sha:
      description: Commit of the revision, when known.
      type: str
      sample: 0e9e39f249a16976918f6564b8830bc894c89659
    state:
      description:
        - Machine-readable outcome, V(accessible), V(gated), V(not_found), V(revision_not_found), V(disabled),
          V(forbidden), V(token_invalid), V(invalid), V(offline), V(rate_limited), V(server_error), V(unreachable),
          V(http_error) or V(error).
      type: str
      sample: gated
    reason:
      description: The outcome in plain words.
      type: str
      sample: "gated: the account 'bob' has not been granted access; accept the terms at https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct"
all_accessible:
  description: True when every model is accessible (true for an empty list unless offline).
  returned: always
  type: bool
  sample: false
retries_used:
  description: How many retries were needed in total (429/5xx/network).
  returned: always
  type: int
  sample: 0
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.llmops.kserve.plugins.module_utils.hf import (
    HAS_HF,
    HF_IMPORT_ERROR,
    HubClient,
    HubInputError,
    check_hub,
    env_offline,
    hub_argument_spec,
    normalize_endpoint,
    offline_result,
    parse_model_ref,
)


def main():
    argument_spec = hub_argument_spec()
    argument_spec.update(models=dict(type="list", elements="raw", default=[]))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    try:
        endpoint = normalize_endpoint(params["endpoint"])
        refs = [parse_model_ref(item, field="models[%d]" % index) for index, item in enumerate(params["models"])]
    except HubInputError as exc:
        module.fail_json(msg=str(exc))

    if params["offline"] or env_offline():
        why = "offline option" if params["offline"] else "HF_HUB_OFFLINE"
        module.exit_json(changed=False, **offline_result(endpoint, refs, bool(params["token"]), why))

    if not HAS_HF:
        module.fail_json(msg=missing_required_lib("huggingface_hub"), exception=HF_IMPORT_ERROR)

    try:
        client = HubClient(endpoint=endpoint, token=params["token"], timeout=params["timeout"],
                           retries=params["retries"], backoff=params["retry_backoff"])
    except HubInputError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **check_hub(client, refs))


if __name__ == "__main__":
    main()
