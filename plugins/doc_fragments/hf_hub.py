# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the modules that talk to the Hugging Face Hub."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Hugging Face Hub connection options."""

    DOCUMENTATION = r"""
options:
  token:
    description:
      - Hugging Face access token (a C(read) token is enough).
      - When not set, the E(HF_TOKEN) environment variable is used (what an AWX "Hugging Face token"
        credential injects). Without either, the Hub is queried anonymously; a token cached on disk by
        C(hf auth login) is deliberately not used.
      - The value is never logged nor returned.
    type: str
  endpoint:
    description:
      - Base URL of the Hub or of a mirror.
      - When not set, the E(HF_ENDPOINT) environment variable is used, else V(https://huggingface.co).
    type: str
  offline:
    description:
      - Do not contact the Hub; answer "offline" for everything that would need it.
      - Offline mode is also on when E(HF_HUB_OFFLINE) (or E(TRANSFORMERS_OFFLINE)) is V(1), V(true),
        V(yes) or V(on) in the environment of the module.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for each answer of the Hub.
    type: float
    default: 10.0
  retries:
    description:
      - How many times a call is retried after a 429 (rate limited) or 5xx answer, or a network error.
      - Waits grow exponentially from O(retry_backoff) (1x, 2x, 4x, ...), capped at 60 seconds; a
        C(Retry-After) header from the Hub takes precedence.
      - V(0) disables retries.
    type: int
    default: 3
  retry_backoff:
    description:
      - Seconds to wait before the first retry.
    type: float
    default: 1.0
requirements:
  - huggingface_hub >= 0.30 (tested with 2.4)
"""
