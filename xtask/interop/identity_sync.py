"""The official azure-communication-identity sync client against the emulator, at its default api-version and at
every api-version it accepts. The checks are identity_checks.py's; see interop_common.py for the setup."""

import asyncio

from azure.communication.identity import CommunicationIdentityClient
from azure.core.credentials import AzureKeyCredential
from azure.core.rest import HttpRequest

import identity_checks


def make_client(conn, endpoint, key, transport, **kwargs):
    if transport == "https":
        return CommunicationIdentityClient.from_connection_string(conn, **kwargs)
    # from_connection_string keeps only the host and forces https. The constructor keeps an explicit http://
    # endpoint, and its HMAC policy signs for the host after the scheme: pass the endpoint without its trailing
    # slash (as from_connection_string would) or the signed host would be wrong.
    return CommunicationIdentityClient(endpoint, AzureKeyCredential(key), **kwargs)


def send(client, method, path, body=None):
    """A request through the SDK's own pipeline (HMAC signing, retries): the generated client's send_request."""
    request = HttpRequest(method, path, json=body) if body is not None else HttpRequest(method, path)
    return client._identity_service_client.send_request(request)  # noqa: SLF001 - the point of the check


def close(client):
    # The sync client has no close of its own; its generated client holds the requests session.
    client._identity_service_client.close()  # noqa: SLF001


if __name__ == "__main__":
    # The check bodies are coroutines shared with the async script; the sync client's calls just block in them.
    asyncio.run(identity_checks.run(identity_checks.Flavour("py-sync", make_client, send, close)))
