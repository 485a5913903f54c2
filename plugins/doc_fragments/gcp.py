# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Google Cloud authentication and location options shared by the gcp_* modules."""

    DOCUMENTATION = r"""
options:
  auth_kind:
    description:
      - How to obtain credentials.
      - V(application) uses Application Default Credentials (C(GOOGLE_APPLICATION_CREDENTIALS),
        C(gcloud auth application-default login), or the metadata server).
      - V(serviceaccount) uses O(service_account_file) or O(service_account_contents).
      - V(accesstoken) uses O(access_token) as a bearer token.
      - Falls back to the E(GCP_AUTH_KIND) environment variable.
    type: str
    choices: [application, serviceaccount, accesstoken]
    default: application
  service_account_file:
    description:
      - Path to a service-account JSON key file, with O(auth_kind=serviceaccount).
      - Falls back to E(GCP_SERVICE_ACCOUNT_FILE).
    type: path
  service_account_contents:
    description:
      - The contents of a service-account JSON key, with O(auth_kind=serviceaccount).
      - Falls back to E(GCP_SERVICE_ACCOUNT_CONTENTS).
    type: jsonarg
  access_token:
    description:
      - An OAuth2 access token, with O(auth_kind=accesstoken).
      - Falls back to E(GCP_ACCESS_TOKEN).
    type: str
  scopes:
    description:
      - OAuth2 scopes requested for O(auth_kind=application) and O(auth_kind=serviceaccount).
    type: list
    elements: str
    default: [https://www.googleapis.com/auth/compute]
  project:
    description:
      - The Google Cloud project id. Required.
      - Falls back to E(GCP_PROJECT).
    type: str
  region:
    description:
      - The region of regional resources (VPN gateways, routers, tunnels).
      - Falls back to E(GCP_REGION).
    type: str
  api_endpoint:
    description:
      - Base URL of the Compute Engine API, for an emulator or a private endpoint.
      - Falls back to E(GCP_API_ENDPOINT).
    type: str
    default: https://compute.googleapis.com
  wait_timeout:
    description: Seconds to wait for each long-running operation before failing.
    type: int
    default: 300
requirements:
  - google-auth
  - requests
notes:
  - API calls are retried with jittered exponential backoff on HTTP 429 and 5xx answers, and
    on 403 with reason C(rateLimitExceeded) or C(userRateLimitExceeded) (how Compute Engine
    answers a rate quota); any other 403 fails at once.
"""

    # The wait option of the resource modules whose resources others can be created beside.
    WAIT = r"""
options:
  wait:
    description:
      - Wait for the change's long-running operation to be DONE (up to O(wait_timeout)).
      - With V(false), return as soon as the API accepted the insert, patch or delete; the
        operation, still PENDING or RUNNING, is returned as RV(operation), and the
        resource in the result is the planned one. Wait for it where the resource is needed
        with the C(_info) module's O(ignore:operation) option (one wait, up to its
        O(ignore:wait_timeout)), so several independent resources can be created at the same
        time.
      - With V(false), an operation that fails later is not reported by this module.
      - The deletion that O(ignore:replace=true) does first is always waited for.
    type: bool
    default: true
"""

    # The name filter of the _info modules.
    OPERATION = r"""
options:
  operation:
    description:
      - The RV(ignore:operation) a resource module returned when run with V(wait=false). The
        module waits until it is DONE (the operations C(wait) method, up to O(wait_timeout))
        before listing, so the listing shows the change. An operation that ended in an error
        fails the task with the API's message.
      - Omit it (or leave it undefined in check mode, where no change was started) to list at
        once.
    type: dict
    version_added: 0.6.0
"""

    NAME_FILTER = r"""
options:
  name:
    description: Return only the one with this name.
    type: str
  name_prefix:
    description: Return only those whose name starts with this prefix.
    type: str
"""
