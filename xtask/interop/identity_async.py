"""The official azure-communication-identity async (aio) client against the emulator: every operation, the typed
errors, the preview features (through the SDK's own pipeline) and a retry. See interop_common.py for the setup."""

import datetime
import uuid

import asyncio

from azure.communication.identity import CommunicationTokenScope, CommunicationUserIdentifier
from azure.communication.identity.aio import CommunicationIdentityClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.core.rest import HttpRequest

import interop_common as c

CHAT, VOIP = CommunicationTokenScope.CHAT, CommunicationTokenScope.VOIP


def make_client(conn, endpoint, key, transport, **kwargs):
    if transport == "https":
        return CommunicationIdentityClient.from_connection_string(conn, **kwargs)
    # from_connection_string keeps only the host and forces https. The constructor keeps an explicit http://
    # endpoint, and its HMAC policy signs for the host after the scheme: pass the endpoint without its trailing
    # slash (as from_connection_string would) or the signed host would be wrong.
    return CommunicationIdentityClient(endpoint, AzureKeyCredential(key), **kwargs)


async def send(client, method, path, body=None):
    """A request through the SDK's own pipeline (HMAC signing, retries): the generated client's send_request."""
    request = HttpRequest(method, path, json=body) if body is not None else HttpRequest(method, path)
    return await client._identity_service_client.send_request(request)  # noqa: SLF001 - the point of the check


async def raised(call):
    try:
        await call()
    except HttpResponseError as error:
        return error
    return None


async def main():
    conn, endpoint, key, transport = c.config()
    client = make_client(conn, endpoint, key, transport)
    recorder = c.AttemptRecorder()
    retry_client = make_client(conn, endpoint, key, transport, per_retry_policies=[recorder], retry_total=3)
    state = {}

    async def create_user():
        user = await client.create_user()
        c.expect(isinstance(user, CommunicationUserIdentifier), f"returned {type(user).__name__}")
        c.expect_user_id(user.properties["id"])
        state["user"] = user
        return user.properties["id"]

    def create_user_and_token(minutes):
        async def run():
            now = datetime.datetime.now(datetime.timezone.utc)
            expires_in = None if minutes == 1440 else datetime.timedelta(minutes=minutes)
            user, token = await client.create_user_and_token([CHAT], token_expires_in=expires_in)
            c.expect_user_id(user.properties["id"])
            return c.expect_token(token, minutes, now)

        return run

    def get_token(scopes, minutes):
        async def run():
            now = datetime.datetime.now(datetime.timezone.utc)
            expires_in = None if minutes == 1440 else datetime.timedelta(minutes=minutes)
            token = await client.get_token(state["user"], scopes, token_expires_in=expires_in)
            return c.expect_token(token, minutes, now)

        return run

    async def revoke_tokens():
        c.expect(await client.revoke_tokens(state["user"]) is None, "revoke_tokens returned a value")

    def expires_error(minutes, call):
        async def run():
            error = await raised(lambda: call(datetime.timedelta(minutes=minutes)))
            msg = c.MSG_EXPIRES.format(minutes)
            return c.expect_error(error, HttpResponseError, 400, "ValidationError", msg, "ExpiresInMinutes")

        return run

    def create_with_lifetime(expires_in):
        return client.create_user_and_token([CHAT], token_expires_in=expires_in)

    def issue_with_lifetime(expires_in):
        return client.get_token(state["user"], [CHAT], token_expires_in=expires_in)

    async def empty_scopes():
        error = await raised(lambda: client.get_token(state["user"], []))
        return c.expect_error(error, HttpResponseError, 400, "ValidationError", c.MSG_EMPTY_SCOPES, "scopes")

    async def mint_teams():
        user = {"objectId": str(uuid.uuid4()), "appId": str(uuid.uuid4())}
        body = c.json_body(await send(client, "POST", c.ADMIN_ENTRA_USER_TOKEN, user), 200)
        state["teams"] = {"token": body["accessToken"], "expiresOn": body["expiresOn"], **user}
        return f"appId {user['appId']}, objectId {user['objectId']}"

    async def teams_exchange():
        now = datetime.datetime.now(datetime.timezone.utc)
        teams = state["teams"]
        token = await client.get_token_for_teams_user(teams["token"], teams["appId"], teams["objectId"])
        minutes = round((c.parse_timestamp(teams["expiresOn"]) - now).total_seconds() / 60)
        return c.expect_token(token, minutes, now)

    async def teams_invalid_token():
        teams = state["teams"]
        error = await raised(lambda: client.get_token_for_teams_user("not-a-token", teams["appId"], teams["objectId"]))
        return c.expect_error(error, ClientAuthenticationError, 401, "InvalidAccessToken", c.MSG_TEAMS_INVALID)

    async def teams_wrong_app():
        teams = state["teams"]
        other_app = str(uuid.uuid4())
        error = await raised(lambda: client.get_token_for_teams_user(teams["token"], other_app, teams["objectId"]))
        return c.expect_error(error, HttpResponseError, 400, "ValidationError", c.MSG_TEAMS_APP, "appId")

    async def teams_wrong_user():
        teams = state["teams"]
        other_user = str(uuid.uuid4())
        error = await raised(lambda: client.get_token_for_teams_user(teams["token"], teams["appId"], other_user))
        return c.expect_error(error, HttpResponseError, 400, "ValidationError", c.MSG_TEAMS_USER, "userId")

    async def delete_user():
        c.expect(await client.delete_user(state["user"]) is None, "delete_user returned a value")

    async def deleted_identity():
        error = await raised(lambda: client.get_token(state["user"], [CHAT]))
        return c.expect_error(error, *c.DELETED_IDENTITY)

    async def custom_id_create():
        custom_id = f"interop-py-async-{uuid.uuid4()}"
        path = c.preview_path("/identities")
        first = c.json_body(await send(client, "POST", path, {"customId": custom_id}), 201)["identity"]
        c.expect_user_id(first.get("id"))
        c.expect_detail(first, first["id"], custom_id, with_last_issued=False)
        await client.get_token(CommunicationUserIdentifier(first["id"]), [CHAT])
        again = c.json_body(await send(client, "POST", path, {"customId": custom_id}), 201)["identity"]
        detail = c.expect_detail(again, first["id"], custom_id, with_last_issued=True)
        state["custom"] = (first["id"], custom_id)
        return f"same id twice, {detail}"

    async def user_detail():
        user_id, custom_id = state["custom"]
        body = c.json_body(await send(client, "GET", c.preview_path(f"/identities/{c.path_id(user_id)}")), 200)
        return c.expect_detail(body, user_id, custom_id, with_last_issued=True)

    async def retry():
        c.json_body(await send(client, "POST", c.ADMIN_FAULT_RULES, c.RETRY_FAULT), 200)
        user = await retry_client.create_user()
        c.expect_user_id(user.properties["id"])
        return c.expect_retried(recorder.attempts, 201)

    checks = [
        ("create_user", create_user),
        ("create_user_and_token", create_user_and_token(1440)),
        ("create_user_and_token expires_in=60min", create_user_and_token(60)),
        ("get_token [chat]", get_token([CHAT], 1440)),
        ("get_token [voip]", get_token([VOIP], 1440)),
        ("get_token [chat, voip]", get_token([CHAT, VOIP], 1440)),
        ("get_token expires_in=90min", get_token([CHAT], 90)),
        ("revoke_tokens", revoke_tokens),
        ("error create_user_and_token 59min", expires_error(59, create_with_lifetime)),
        ("error get_token 1441min", expires_error(1441, issue_with_lifetime)),
        ("error get_token no scopes", empty_scopes),
        ("emulator mints a Teams user's Entra token", mint_teams),
        ("get_token_for_teams_user", teams_exchange),
        ("error get_token_for_teams_user bad token", teams_invalid_token),
        ("error get_token_for_teams_user wrong app", teams_wrong_app),
        ("error get_token_for_teams_user wrong user", teams_wrong_user),
        ("delete_user", delete_user),
        ("error get_token deleted identity", deleted_identity),
        ("preview create customId twice", custom_id_create),
        ("preview get user detail", user_detail),
        ("retry 429 Retry-After", retry),
    ]
    async with client, retry_client:
        await c.run_checks_async(checks)


if __name__ == "__main__":
    asyncio.run(main())
