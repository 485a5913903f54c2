# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """AWS connection options shared by every AWS module (crosscluster.link.aws)."""

    DOCUMENTATION = r"""
options:
  access_key:
    description:
      - AWS access key ID.
      - If not set, the C(AWS_ACCESS_KEY_ID) environment variable or the standard botocore
        credential chain (profile, container and instance metadata) is used.
    type: str
    aliases: [aws_access_key_id, aws_access_key]
  secret_key:
    description:
      - AWS secret access key.
      - If not set, the C(AWS_SECRET_ACCESS_KEY) environment variable or the standard botocore
        credential chain is used.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key]
  session_token:
    description:
      - AWS session token for temporary credentials.
      - If not set, the C(AWS_SESSION_TOKEN) environment variable is used.
    type: str
    aliases: [aws_session_token]
  profile:
    description:
      - Named profile of the AWS shared configuration files.
      - If not set, the C(AWS_PROFILE) environment variable is used.
      - Mutually exclusive with O(access_key), O(secret_key) and O(session_token).
    type: str
    aliases: [aws_profile]
  region:
    description:
      - AWS region, for example C(eu-west-1).
      - If not set, the C(AWS_REGION) or C(AWS_DEFAULT_REGION) environment variable or the
        profile's region is used.
    type: str
    aliases: [aws_region]
  endpoint_url:
    description:
      - URL of the EC2 endpoint, for example an emulator on C(http://127.0.0.1:5000).
      - If not set, the C(AWS_ENDPOINT_URL_EC2) or C(AWS_ENDPOINT_URL) environment variable is used.
    type: str
    aliases: [aws_endpoint_url]
requirements:
  - python >= 3.11
  - botocore >= 1.34
notes:
  - Throttling (for example C(RequestLimitExceeded)) and 5xx errors are retried with jittered
    exponential backoff; any other AWS error fails the task with the API's own code and message.
"""
