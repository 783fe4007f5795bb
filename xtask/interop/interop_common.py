"""Shared by the Python scripts (identity_checks.py, for identity_sync.py and identity_async.py): configuration,
the api-versions to run and what each has, check reporting and expectations.

The scripts are run by `cargo xtask interop` with:
  ACS_CONNECTION_STRING  the emulator's connection string (endpoint=...;accesskey=...)
  INTEROP_TRANSPORT      "http" or "https"
  REQUESTS_CA_BUNDLE / SSL_CERT_FILE  the emulator's self-signed certificate (https only)
Each check prints one line: `ok <name>  (<detail>)`; the first failure prints `FAIL <name>: <why>` and exits 1.
"""

import datetime
import json
import os
import re
import sys
import traceback
import urllib.parse

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.policies import SansIOHTTPPolicy

# The api-versions azure-communication-identity 1.5.0 declares (its `_api_versions.ApiVersion`; the client passes
# any string through unchecked) and its default (`DEFAULT_VERSION`). See README.md for where this was read.
SDK_API_VERSIONS = ("2021-03-07", "2022-06-01", "2022-10-01", "2023-10-01")
SDK_DEFAULT_API_VERSION = "2023-10-01"
# Newer versions the emulator serves, which the SDK forwards as it does any string: its operations there.
FORWARDED_API_VERSIONS = ("2025-06-30", "2025-03-02-preview")
# Refused: the pre-GA version the service still lists, and one that never existed.
PRE_GA_API_VERSION = "2020-07-20-preview2"
UNKNOWN_API_VERSION = "2099-01-01"

# What each version run here has, beyond create, issue, revoke and delete (which all have). From the REST specs
# and the SDKs' changelogs, written out here rather than read from `acs_identity_types::ApiVersion`'s capability
# table (which the emulator serves from), so that the scripts check the emulator against an independent statement.
#   issue_lifetime / create_lifetime: expiresInMinutes on issue (2022-09-01) / on create (2022-10-01)
#   join: the chat.join, chat.join.limited and voip.join scopes (2023-10-01)
#   teams: POST /teamsUser/:exchangeAccessToken with appId and userId checked (2022-06-01)
#   custom_id: customId on create and GET /identities/{id} (the 2025 previews only)
_LIFETIME = {"issue_lifetime", "create_lifetime"}
FEATURES = {
    "2021-03-07": set(),
    "2022-06-01": {"teams"},
    "2022-10-01": {"teams"} | _LIFETIME,
    "2023-10-01": {"teams", "join"} | _LIFETIME,
    "2025-06-30": {"teams", "join"} | _LIFETIME,
    "2025-03-02-preview": {"teams", "join", "custom_id"} | _LIFETIME,
}


def version_runs():
    """(label, api_version) pairs: the SDK's default (api_version None), then each version given explicitly."""
    return [("default", None)] + [(v, v) for v in SDK_API_VERSIONS + FORWARDED_API_VERSIONS]


# The real service's exact error texts.
MSG_EXPIRES = "ExpiresInMinutes value {} is invalid. Value must be within the [60, 1440] interval."
MSG_EMPTY_SCOPES = "Invalid scopes - Scopes field is required."
MSG_TEAMS_INVALID = "Provided access token is not valid."
MSG_TEAMS_APP = "AAD application is not the expected one."
MSG_TEAMS_USER = "Provided AAD token issued for unexpected user."
MSG_UNSUPPORTED_VERSION = "The HTTP resource that matches the request URI '{}' does not support the API version '{}'."
# The emulator's own texts where the service's were not recorded (crates/acs-identity-emulator/README.md): a scope
# the version does not have (as an unknown scope), and the pre-GA version.
MSG_SCOPE_UNSUPPORTED = "Invalid scopes - Provided scope is not supported."
MSG_PRE_GA = (
    "The emulator does not serve the pre-GA API version '{}' (POST /identities/{{id}}/token, PATCH /identities/{{id}});"
    " use 2021-03-07 or later."
)

# The emulator's admin routes (crates/acs-identity-emulator/README.md), signed like the ACS routes.
ADMIN_ENTRA_USER_TOKEN = "/_emulator/entra/users/:issueToken"
ADMIN_FAULT_RULES = "/_emulator/faults/rules"
ADMIN_VALIDATE_TOKEN = "/_emulator/tokens/:validate"
# 429 with Retry-After: 1 on the next ACS request.
RETRY_FAULT = {"fault": "status", "status": 429, "retryAfterSeconds": 1, "next": 1}
# What an operation on a deleted identity answers (the emulator's choice, with the text of a user report).
DELETED_IDENTITY = (ResourceNotFoundError, 404, "IdentityNotFound", "Provided identity doesn't exist.")

# A lifetime check allows this much drift between the emulator's clock, ours and the request's duration.
SLACK = datetime.timedelta(minutes=2)


def config():
    """Returns (connection string, endpoint without trailing slash, access key, transport)."""
    conn = os.environ.get("ACS_CONNECTION_STRING", "")
    transport = os.environ.get("INTEROP_TRANSPORT", "")
    parts = dict(p.split("=", 1) for p in conn.split(";") if "=" in p)
    parts = {k.strip().lower(): v.strip() for k, v in parts.items()}
    endpoint = parts.get("endpoint", "").rstrip("/")
    key = parts.get("accesskey", "")
    if not endpoint or not key or transport not in ("http", "https"):
        fail("config", "set ACS_CONNECTION_STRING (endpoint=...;accesskey=...) and INTEROP_TRANSPORT=http|https")
    if not endpoint.startswith(transport + "://"):
        fail("config", f"INTEROP_TRANSPORT={transport} but the endpoint is {endpoint}")
    return conn, endpoint, key, transport


def plan(n):
    print(f"plan {n}", flush=True)


def ok(name, detail=""):
    print(f"ok   {name}" + (f"  ({detail})" if detail else ""), flush=True)


def fail(name, why):
    print(f"FAIL {name}: {why}", flush=True)
    sys.exit(1)


def fail_with(name, error):
    """Reports an unexpected exception, with the service's answer when there was one."""
    if isinstance(error, HttpResponseError):
        why = f"{type(error).__name__} status={error.status_code} {describe_body(error)}"
    elif isinstance(error, AssertionError):
        why = str(error)
    else:
        why = f"{type(error).__name__}: {error}\n" + "".join(traceback.format_exception(error)[-6:])
    fail(name, why)


def describe_body(error):
    response = getattr(error, "response", None)
    try:
        return "body=" + response.text()[:500]
    except Exception:  # noqa: BLE001 - only for the report
        return f"message={error.message!r}"


def expect(condition, why):
    if not condition:
        raise AssertionError(why)


def expect_token(token, minutes, now):
    """The SDK's AccessToken: a JWT-shaped string and an expiry `minutes` from `now`."""
    expect(isinstance(token.token, str) and token.token.count(".") == 2, f"token is not a JWT: {token.token[:20]!r}")
    # azure-communication-identity 1.5.0 hands over the wire string (its model types expiresOn as "str").
    expires = parse_timestamp(token.expires_on)
    wanted = now + datetime.timedelta(minutes=minutes)
    expect(abs(expires - wanted) <= SLACK, f"expires_on {expires.isoformat()}, wanted about {wanted.isoformat()}")
    return f"expires in {round((expires - now).total_seconds() / 60)} min"


TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def parse_timestamp(value):
    """An RFC 3339 timestamp with 0-9 fractional digits (the service sends 7), as an aware datetime."""
    if isinstance(value, datetime.datetime):
        expect(value.tzinfo is not None, f"{value!r} has no time zone")
        return value
    match = TIMESTAMP.match(value) if isinstance(value, str) else None
    expect(match is not None, f"not an RFC 3339 timestamp: {value!r}")
    seconds, fraction, offset = match.groups()
    micros = (fraction or "").ljust(6, "0")[:6]
    offset = "+00:00" if offset == "Z" else offset
    return datetime.datetime.fromisoformat(f"{seconds}.{micros}{offset}")


def expect_user_id(user_id):
    expect(isinstance(user_id, str) and user_id.startswith("8:acs:"), f"not an ACS user id: {user_id!r}")


def expect_error(error, exc_type, status, code, message=None, target=None):
    """The SDK raised its typed error with the service's status, code, message and target."""
    expect(error is not None, f"no error raised, wanted {exc_type.__name__} {status} {code}")
    expect(
        isinstance(error, exc_type),
        f"raised {type(error).__name__}: {error}, wanted {exc_type.__name__}",
    )
    expect(error.status_code == status, f"status {error.status_code}, wanted {status}: {describe_body(error)}")
    odata = error.error
    expect(odata is not None, f"the SDK parsed no error body: {describe_body(error)}")
    expect(odata.code == code, f"code {odata.code!r}, wanted {code!r}")
    if message is not None:
        expect(odata.message == message, f"message {odata.message!r}, wanted {message!r}")
    if target is not None:
        expect(odata.target == target, f"target {odata.target!r}, wanted {target!r}")
    return f"{type(error).__name__} {status} {odata.code}: {odata.message}"


def path_id(user_id):
    """An identity id as a path segment, percent-encoded the way the sync SDK sends it."""
    return urllib.parse.quote(user_id, safe="")


def expect_detail(body, user_id, custom_id, with_last_issued):
    """A preview identity object (create response's `identity`, or the unwrapped GET body)."""
    expect(body.get("id") == user_id, f"id {body.get('id')!r}, wanted {user_id!r}")
    expect(body.get("customId") == custom_id, f"customId {body.get('customId')!r}, wanted {custom_id!r}")
    last = body.get("lastTokenIssuedAt")
    if with_last_issued:
        parse_timestamp(last)
    return f"lastTokenIssuedAt={last}"


def json_body(response, status):
    """The JSON body of a raw pipeline response, after checking its status."""
    text = response.text()
    expect(response.status_code == status, f"status {response.status_code}, wanted {status}: {text[:500]}")
    try:
        return json.loads(text)
    except ValueError as error:
        raise AssertionError(f"not JSON ({error}): {text[:200]!r}") from error


class AttemptRecorder(SansIOHTTPPolicy):
    """A per-retry pipeline policy (it runs after the SDK's signing policy) that records every attempt:
    URL, status, x-ms-date and signature. Works in sync and async pipelines (azure-core's SansIOHTTPPolicy)."""

    def __init__(self):
        super().__init__()
        self.attempts = []

    def on_request(self, request):
        headers = request.http_request.headers
        self.attempts.append(
            {
                "url": request.http_request.url,
                "date": headers.get("x-ms-date"),
                "auth": headers.get("Authorization"),
                "status": None,
            }
        )

    def on_response(self, request, response):
        self.attempts[-1]["status"] = response.http_response.status_code


def expect_retried(attempts, final_status):
    """The fault answered the first attempt with 429; the SDK waited and retried; the retry succeeded."""
    statuses = [a["status"] for a in attempts]
    expect(len(attempts) == 2, f"{len(attempts)} attempts with statuses {statuses}, wanted [429, {final_status}]")
    expect(statuses == [429, final_status], f"statuses {statuses}, wanted [429, {final_status}]")
    re_signed = attempts[0]["auth"] != attempts[1]["auth"]
    return f"statuses {statuses}, {'re-signed' if re_signed else 'same signature'} on retry"


async def run_checks_async(checks):
    """Runs (name, coroutine function) pairs in order; each returns a detail string or raises."""
    plan(len(checks))
    for name, body in checks:
        try:
            detail = await body()
        except Exception as error:  # noqa: BLE001 - any failure is reported with the check's name
            fail_with(name, error)
        ok(name, detail)
