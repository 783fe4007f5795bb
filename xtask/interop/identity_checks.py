"""The checks of identity_sync.py and identity_async.py, written once: every operation of the official
azure-communication-identity client at its default api-version and at every api-version it accepts, the typed
errors, what each version lacks (refused or ignored, as the emulator documents), the preview features
through the SDK's own pipeline, and a retry.

A check body is a coroutine; it awaits the SDK's calls through `maybe`, so the same body drives the sync client
(whose calls return values) and the async one (whose calls return coroutines).
"""

import datetime
import inspect
import urllib.parse
import uuid

from azure.communication.identity import CommunicationTokenScope, CommunicationUserIdentifier
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

import interop_common as c

CHAT, VOIP = CommunicationTokenScope.CHAT, CommunicationTokenScope.VOIP
JOIN_SCOPES = [
    CommunicationTokenScope.CHAT_JOIN,
    CommunicationTokenScope.CHAT_JOIN_LIMITED,
    CommunicationTokenScope.VOIP_JOIN,
]


class Flavour:
    """How one script builds and drives its client: `make_client(conn, endpoint, key, transport, **kwargs)`,
    `send(client, method, path, body=None)` (a request through the SDK's pipeline), `close(client)`."""

    def __init__(self, name, make_client, send, close):
        self.name, self.make_client, self.send, self.close = name, make_client, send, close


async def maybe(value):
    """The result of a sync call, or of an async one once awaited."""
    return await value if inspect.isawaitable(value) else value


async def raised(thunk):
    try:
        await maybe(thunk())
    except HttpResponseError as error:
        return error
    return None


def minutes(m):
    return None if m is None else datetime.timedelta(minutes=m)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


class Context:
    """What every check shares: the configuration, the admin client (the SDK at its default api-version, which
    also sends the emulator's admin requests) and the Teams user minted once."""

    def __init__(self, flavour):
        self.flavour = flavour
        self.conn, self.endpoint, self.key, self.transport = c.config()
        self.clients = []
        self.admin = self.client()
        self.teams = {}

    def client(self, **kwargs):
        client = self.flavour.make_client(self.conn, self.endpoint, self.key, self.transport, **kwargs)
        self.clients.append(client)
        return client

    async def send(self, client, method, path, body=None):
        return await maybe(self.flavour.send(client, method, path, body))

    async def token_status(self, token):
        """What the emulator says of an ACS token (valid, revoked, ...), through its admin route."""
        body = c.json_body(await self.send(self.admin, "POST", c.ADMIN_VALIDATE_TOKEN, {"token": token}), 200)
        return body.get("status")


def global_checks(ctx):
    async def declared():
        from azure.communication.identity._api_versions import DEFAULT_VERSION, ApiVersion

        got = [v.value for v in ApiVersion]
        c.expect(got == list(c.SDK_API_VERSIONS), f"the SDK's ApiVersion is {got}, wanted {list(c.SDK_API_VERSIONS)}")
        c.expect(DEFAULT_VERSION.value == c.SDK_DEFAULT_API_VERSION, f"the SDK's default is {DEFAULT_VERSION.value}")
        return f"ApiVersion {', '.join(got)}; default {DEFAULT_VERSION.value}"

    async def mint_teams():
        user = {"objectId": str(uuid.uuid4()), "appId": str(uuid.uuid4())}
        body = c.json_body(await ctx.send(ctx.admin, "POST", c.ADMIN_ENTRA_USER_TOKEN, user), 200)
        ctx.teams.update(token=body["accessToken"], expiresOn=body["expiresOn"], **user)
        return f"appId {user['appId']}, objectId {user['objectId']}"

    def refused(version, message):
        async def run():
            client = ctx.client(api_version=version)
            error = await raised(lambda: client.create_user())
            return c.expect_error(error, HttpResponseError, 400, "UnsupportedApiVersion", message(version))

        return run

    def unknown_message(version):
        return c.MSG_UNSUPPORTED_VERSION.format(f"{ctx.endpoint}/identities?api-version={version}", version)

    return [
        ("sdk declares its api-versions", declared),
        ("emulator mints a Teams user's Entra token", mint_teams),
        (f"{c.PRE_GA_API_VERSION} create_user refused (pre-GA)", refused(c.PRE_GA_API_VERSION, c.MSG_PRE_GA.format)),
        (f"{c.UNKNOWN_API_VERSION} create_user refused (unknown)", refused(c.UNKNOWN_API_VERSION, unknown_message)),
    ]


def version_checks(ctx, label, version):
    """The checks at one api-version: `version` is what the client is given (None: the SDK's default)."""
    wire = version or c.SDK_DEFAULT_API_VERSION
    has = c.FEATURES[wire]
    recorder = c.AttemptRecorder()
    kwargs = {"per_retry_policies": [recorder]}
    if version is not None:
        kwargs["api_version"] = version
    client = ctx.client(**kwargs)
    state = {}
    checks = []

    def check(name):
        def register(body):
            checks.append((f"{label} {name}", body))
            return body

        return register

    @check("create_user")
    async def create_user():
        user = await maybe(client.create_user())
        c.expect(isinstance(user, CommunicationUserIdentifier), f"returned {type(user).__name__}")
        c.expect_user_id(user.properties["id"])
        state["user"] = user
        return user.properties["id"]

    def create_user_and_token(scopes, asked, wanted):
        async def run():
            start = now()
            user, token = await maybe(client.create_user_and_token(scopes, token_expires_in=minutes(asked)))
            c.expect_user_id(user.properties["id"])
            return c.expect_token(token, wanted, start)

        return run

    def get_token(scopes, asked, wanted, keep=False):
        async def run():
            start = now()
            token = await maybe(client.get_token(state["user"], scopes, token_expires_in=minutes(asked)))
            if keep:
                state["token"] = token.token
            return c.expect_token(token, wanted, start)

        return run

    def error(call, status, code, message, target=None, exc_type=HttpResponseError):
        async def run():
            return c.expect_error(await raised(call), exc_type, status, code, message, target)

        return run

    check("create_user_and_token")(create_user_and_token([CHAT], None, 1440))
    check("get_token [chat]")(get_token([CHAT], None, 1440, keep=True))
    check("get_token [voip]")(get_token([VOIP], None, 1440))
    check("get_token [chat, voip]")(get_token([CHAT, VOIP], None, 1440))

    if "create_lifetime" in has:
        check("create_user_and_token expires_in=60min")(create_user_and_token([CHAT], 60, 60))
        msg = c.MSG_EXPIRES.format(59)
        check("error create_user_and_token 59min")(
            error(lambda: client.create_user_and_token([CHAT], token_expires_in=minutes(59)),
                  400, "ValidationError", msg, "ExpiresInMinutes"))
    else:
        # A field the version does not have is ignored, as the service's model binding does: 24 hours.
        check("create_user_and_token expires_in=60min ignored")(create_user_and_token([CHAT], 60, 1440))
        check("create_user_and_token expires_in=59min ignored")(create_user_and_token([CHAT], 59, 1440))
    if "issue_lifetime" in has:
        check("get_token expires_in=90min")(get_token([CHAT], 90, 90))
        msg = c.MSG_EXPIRES.format(1441)
        check("error get_token 1441min")(
            error(lambda: client.get_token(state["user"], [CHAT], token_expires_in=minutes(1441)),
                  400, "ValidationError", msg, "ExpiresInMinutes"))
    else:
        check("get_token expires_in=90min ignored")(get_token([CHAT], 90, 1440))
        check("get_token expires_in=1441min ignored")(get_token([CHAT], 1441, 1440))
    if "join" in has:
        check("get_token [chat.join, chat.join.limited, voip.join]")(get_token(JOIN_SCOPES, None, 1440))
        check("create_user_and_token [voip.join]")(create_user_and_token([JOIN_SCOPES[2]], None, 1440))
    else:
        check("error get_token join scopes")(
            error(lambda: client.get_token(state["user"], JOIN_SCOPES),
                  400, "ValidationError", c.MSG_SCOPE_UNSUPPORTED, "scopes"))
        check("error create_user_and_token [voip.join]")(
            error(lambda: client.create_user_and_token([JOIN_SCOPES[2]]),
                  400, "ValidationError", c.MSG_SCOPE_UNSUPPORTED, "createTokenWithScopes"))
    check("error get_token no scopes")(
        error(lambda: client.get_token(state["user"], []), 400, "ValidationError", c.MSG_EMPTY_SCOPES, "scopes"))

    @check("revoke_tokens")
    async def revoke_tokens():
        before = await ctx.token_status(state["token"])
        c.expect(before == "valid", f"the [chat] token is {before!r} before the revocation")
        c.expect(await maybe(client.revoke_tokens(state["user"])) is None, "revoke_tokens returned a value")
        after = await ctx.token_status(state["token"])
        c.expect(after == "revoked", f"the [chat] token is {after!r} after the revocation, wanted 'revoked'")
        return "the earlier token is revoked"

    def teams_call(token=None, app=None, user=None):
        t = ctx.teams
        return lambda: client.get_token_for_teams_user(token or t["token"], app or t["appId"], user or t["objectId"])

    if "teams" in has:
        @check("get_token_for_teams_user")
        async def teams_exchange():
            start = now()
            token = await maybe(teams_call()())
            wanted = round((c.parse_timestamp(ctx.teams["expiresOn"]) - start).total_seconds() / 60)
            return c.expect_token(token, wanted, start)

        check("error get_token_for_teams_user bad token")(
            error(teams_call(token="not-a-token"), 401, "InvalidAccessToken", c.MSG_TEAMS_INVALID,
                  exc_type=ClientAuthenticationError))
        check("error get_token_for_teams_user wrong app")(
            error(teams_call(app=str(uuid.uuid4())), 400, "ValidationError", c.MSG_TEAMS_APP, "appId"))
        check("error get_token_for_teams_user wrong user")(
            error(teams_call(user=str(uuid.uuid4())), 400, "ValidationError", c.MSG_TEAMS_USER, "userId"))
    else:
        @check("error get_token_for_teams_user (not in this version)")
        async def teams_refused():
            uri = f"{ctx.endpoint}/teamsUser/:exchangeAccessToken?api-version={wire}"
            msg = c.MSG_UNSUPPORTED_VERSION.format(uri, wire)
            return c.expect_error(await raised(teams_call()), HttpResponseError, 400, "UnsupportedApiVersion", msg)

    # customId and GET identity: the SDK has no method for them; sent through its pipeline (its HMAC signing).
    custom_id = f"interop-{ctx.flavour.name}-{label}-{uuid.uuid4()}"
    create_path = f"/identities?api-version={wire}"

    async def create_with_custom_id():
        body = c.json_body(await ctx.send(client, "POST", create_path, {"customId": custom_id}), 201)
        identity = body.get("identity") or {}
        c.expect_user_id(identity.get("id"))
        return identity

    if "custom_id" in has:
        @check("create customId twice (raw)")
        async def custom_id_create():
            first = await create_with_custom_id()
            c.expect_detail(first, first["id"], custom_id, with_last_issued=False)
            await maybe(client.get_token(CommunicationUserIdentifier(first["id"]), [CHAT]))
            again = await create_with_custom_id()
            detail = c.expect_detail(again, first["id"], custom_id, with_last_issued=True)
            state["custom"] = first["id"]
            return f"same id twice, {detail}"

        @check("get user detail (raw)")
        async def user_detail():
            path = f"/identities/{c.path_id(state['custom'])}?api-version={wire}"
            body = c.json_body(await ctx.send(client, "GET", path), 200)
            return c.expect_detail(body, state["custom"], custom_id, with_last_issued=True)
    else:
        @check("customId ignored (raw)")
        async def custom_id_ignored():
            first, again = await create_with_custom_id(), await create_with_custom_id()
            for identity in (first, again):
                c.expect("customId" not in identity, f"identity {identity}: this version has no customId")
            c.expect(first["id"] != again["id"], f"one identity {first['id']} for two creates, wanted two")
            return "two creates with one customId, two identities"

        @check("error get user (raw, not in this version)")
        async def get_user_refused():
            path = f"/identities/{c.path_id(state['user'].properties['id'])}?api-version={wire}"
            response = await ctx.send(client, "GET", path)
            body = c.json_body(response, 400)
            error = body.get("error") or {}
            msg = c.MSG_UNSUPPORTED_VERSION.format(f"{ctx.endpoint}{path}", wire)
            got = error.get("message") or ""
            c.expect(error.get("code") == "UnsupportedApiVersion", f"code {error.get('code')!r}")
            # The message quotes the request URI as received: aiohttp sends the id's ':' unencoded.
            c.expect(urllib.parse.unquote(got) == urllib.parse.unquote(msg), f"message {got!r}, wanted {msg!r}")
            return f"400 UnsupportedApiVersion: {got}"

    @check("delete_user")
    async def delete_user():
        c.expect(await maybe(client.delete_user(state["user"])) is None, "delete_user returned a value")

    check("error get_token deleted identity")(error(lambda: client.get_token(state["user"], [CHAT]),
                                                    *c.DELETED_IDENTITY[1:], exc_type=c.DELETED_IDENTITY[0]))

    @check("api-version on the wire")
    async def on_the_wire():
        sent = [urllib.parse.urlsplit(a["url"]) for a in recorder.attempts]
        versions = {v for u in sent for v in urllib.parse.parse_qs(u.query).get("api-version", [None])}
        c.expect(sent, "no request recorded")
        c.expect(versions == {wire}, f"the requests carried api-version {sorted(map(str, versions))}, wanted {wire}")
        return f"{len(sent)} requests, all api-version={wire}"

    return checks


def retry_checks(ctx):
    recorder = c.AttemptRecorder()
    client = ctx.client(per_retry_policies=[recorder], retry_total=3)

    async def retry():
        c.json_body(await ctx.send(ctx.admin, "POST", c.ADMIN_FAULT_RULES, c.RETRY_FAULT), 200)
        user = await maybe(client.create_user())
        c.expect_user_id(user.properties["id"])
        return c.expect_retried(recorder.attempts, 201)

    return [("default retry 429 Retry-After", retry)]


async def run(flavour):
    ctx = Context(flavour)
    checks = global_checks(ctx)
    for label, version in c.version_runs():
        checks += version_checks(ctx, label, version)
    checks += retry_checks(ctx)
    try:
        await c.run_checks_async(checks)
    finally:
        for client in ctx.clients:
            await maybe(flavour.close(client))
