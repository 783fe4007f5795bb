// The official @azure/communication-identity client against the emulator: every operation, the typed errors,
// the preview features (through the SDK's own pipeline) and a retry.
//
// Run by `cargo xtask interop` (copied next to the node_modules it installs) with:
//   ACS_CONNECTION_STRING  the emulator's connection string (endpoint=...;accesskey=...)
//   INTEROP_TRANSPORT      "http" or "https"
//   NODE_EXTRA_CA_CERTS    the emulator's self-signed certificate (https only)
// Each check prints one line: `ok <name>  (<detail>)`; the first failure prints `FAIL <name>: <why>` and exits 1.

import { randomUUID } from "node:crypto";

import { CommunicationIdentityClient } from "@azure/communication-identity";
import { createHttpHeaders, createPipelineRequest, isRestError } from "@azure/core-rest-pipeline";

// The only api-version with customId and GET identity; the SDK (2023-10-01) does not expose them.
const PREVIEW_API_VERSION = "2025-03-02-preview";
// The real service's exact error texts.
const msgExpires = (m) => `ExpiresInMinutes value ${m} is invalid. Value must be within the [60, 1440] interval.`;
const MSG_EMPTY_SCOPES = "Invalid scopes - Scopes field is required.";
const MSG_TEAMS_INVALID = "Provided access token is not valid.";
const MSG_TEAMS_APP = "AAD application is not the expected one.";
const MSG_TEAMS_USER = "Provided AAD token issued for unexpected user.";
// The emulator's admin routes (crates/acs-identity-emulator/README.md), signed like the ACS routes.
const ADMIN_ENTRA_USER_TOKEN = "/_emulator/entra/users/:issueToken";
const ADMIN_FAULT_RULES = "/_emulator/faults/rules";
// 429 with Retry-After: 1 on the next ACS request.
const RETRY_FAULT = { fault: "status", status: 429, retryAfterSeconds: 1, next: 1 };
// What an operation on a deleted identity answers (the emulator's choice, with the text of a user report).
const DELETED_IDENTITY = [404, "IdentityNotFound", "Provided identity doesn't exist."];
// A lifetime check allows this much drift between the emulator's clock, ours and the request's duration.
const SLACK_MS = 2 * 60 * 1000;

function fail(name, why) {
  console.log(`FAIL ${name}: ${why}`);
  process.exit(1);
}

const connectionString = process.env.ACS_CONNECTION_STRING ?? "";
const transport = process.env.INTEROP_TRANSPORT ?? "";
const endpoint = (/endpoint=([^;]+)/i.exec(connectionString)?.[1] ?? "").trim().replace(/\/+$/, "");
if (!endpoint || !["http", "https"].includes(transport) || !endpoint.startsWith(`${transport}://`)) {
  fail("config", "set ACS_CONNECTION_STRING (endpoint=...;accesskey=...) and INTEROP_TRANSPORT=http|https to match");
}
const insecure = transport === "http";
// Over https the plain connection string is all the SDK needs; over http it refuses to send unless told.
const options = insecure ? { allowInsecureConnection: true } : {};
const client = new CommunicationIdentityClient(connectionString, options);

// The SDK's generated client (a core-client ServiceClient) whose pipeline holds the SDK's HMAC policy (added by
// the CommunicationIdentityClient constructor) and its retry policies: sendRequest runs the request through them.
async function send(method, path, body) {
  const request = createPipelineRequest({
    url: endpoint + path,
    method,
    headers: createHttpHeaders({ accept: "application/json" }),
    allowInsecureConnection: insecure,
  });
  if (body !== undefined) {
    request.body = JSON.stringify(body);
    request.headers.set("Content-Type", "application/json");
  }
  return client.client.sendRequest(request);
}

// A failed expectation: reported by its message alone, without a stack.
class Mismatch extends Error {}

function expect(condition, why) {
  if (!condition) throw new Mismatch(why);
}

function jsonBody(response, status) {
  const text = response.bodyAsText ?? "";
  expect(response.status === status, `status ${response.status}, wanted ${status}: ${text.slice(0, 500)}`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Mismatch(`not JSON (${error.message}): ${text.slice(0, 200)}`);
  }
}

function expectUserId(id) {
  expect(typeof id === "string" && id.startsWith("8:acs:"), `not an ACS user id: ${JSON.stringify(id)}`);
}

function expectToken(token, minutes, now) {
  expect(typeof token.token === "string" && token.token.split(".").length === 3, "token is not a JWT");
  expect(token.expiresOn instanceof Date && !Number.isNaN(token.expiresOn.getTime()), "expiresOn is not a Date");
  const wanted = now + minutes * 60_000;
  expect(
    Math.abs(token.expiresOn.getTime() - wanted) <= SLACK_MS,
    `expiresOn ${token.expiresOn.toISOString()}, wanted about ${new Date(wanted).toISOString()}`,
  );
  return `expires in ${Math.round((token.expiresOn.getTime() - now) / 60_000)} min`;
}

async function raised(call) {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return undefined;
}

// The SDK's typed error (RestError) with the service's status, code, message and target.
function expectError(error, status, code, message, target) {
  expect(error !== undefined, `no error thrown, wanted RestError ${status} ${code}`);
  expect(isRestError(error), `threw ${error?.name}: ${error?.message}, wanted RestError`);
  const body = error.response?.bodyAsText ?? "";
  expect(error.statusCode === status, `status ${error.statusCode}, wanted ${status}: ${body.slice(0, 500)}`);
  expect(error.code === code, `code ${JSON.stringify(error.code)}, wanted ${JSON.stringify(code)}: ${body}`);
  if (message !== undefined) {
    expect(error.message === message, `message ${JSON.stringify(error.message)}, wanted ${JSON.stringify(message)}`);
  }
  if (target !== undefined) {
    const got = error.response?.parsedBody?.error?.target;
    expect(got === target, `target ${JSON.stringify(got)}, wanted ${JSON.stringify(target)}`);
  }
  return `RestError ${error.statusCode} ${error.code}: ${error.message}`;
}

const LAST_ISSUED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

// A preview identity object (the create response's `identity`, or the unwrapped GET body).
function expectDetail(body, id, customId, withLastIssued) {
  expect(body?.id === id, `id ${JSON.stringify(body?.id)}, wanted ${id}`);
  expect(body.customId === customId, `customId ${JSON.stringify(body.customId)}, wanted ${customId}`);
  if (withLastIssued) {
    expect(LAST_ISSUED.test(body.lastTokenIssuedAt ?? ""), `lastTokenIssuedAt ${body.lastTokenIssuedAt}`);
  }
  return `lastTokenIssuedAt=${body.lastTokenIssuedAt}`;
}

// A second client whose pipeline records every attempt, after the retry policies: the SDK signs once, before
// them, so all attempts carry the same x-ms-date and signature.
const attempts = [];
const retryClient = new CommunicationIdentityClient(connectionString, { ...options, retryOptions: { maxRetries: 3 } });
retryClient.client.pipeline.addPolicy(
  {
    name: "interopAttemptRecorder",
    async sendRequest(request, next) {
      const attempt = { auth: request.headers.get("authorization"), status: undefined };
      attempts.push(attempt);
      const response = await next(request);
      attempt.status = response.status;
      return response;
    },
  },
  { afterPhase: "Retry" },
);

const state = {};
const CHAT = "chat";
const VOIP = "voip";

function createUserAndToken(minutes) {
  return async () => {
    const now = Date.now();
    const opts = minutes === 1440 ? {} : { tokenExpiresInMinutes: minutes };
    const result = await client.createUserAndToken([CHAT], opts);
    expectUserId(result.user?.communicationUserId);
    return expectToken(result, minutes, now);
  };
}

function getToken(scopes, minutes) {
  return async () => {
    const now = Date.now();
    const opts = minutes === 1440 ? {} : { tokenExpiresInMinutes: minutes };
    return expectToken(await client.getToken(state.user, scopes, opts), minutes, now);
  };
}

function expiresError(minutes, call) {
  return async () => {
    const error = await raised(() => call({ tokenExpiresInMinutes: minutes }));
    return expectError(error, 400, "ValidationError", msgExpires(minutes), "ExpiresInMinutes");
  };
}

const checks = [
  [
    "createUser",
    async () => {
      state.user = await client.createUser();
      expectUserId(state.user.communicationUserId);
      return state.user.communicationUserId;
    },
  ],
  ["createUserAndToken", createUserAndToken(1440)],
  ["createUserAndToken expiresInMinutes=60", createUserAndToken(60)],
  ["getToken [chat]", getToken([CHAT], 1440)],
  ["getToken [voip]", getToken([VOIP], 1440)],
  ["getToken [chat, voip]", getToken([CHAT, VOIP], 1440)],
  ["getToken expiresInMinutes=90", getToken([CHAT], 90)],
  [
    "revokeTokens",
    async () => {
      expect((await client.revokeTokens(state.user)) === undefined, "revokeTokens returned a value");
    },
  ],
  ["error createUserAndToken 59min", expiresError(59, (o) => client.createUserAndToken([CHAT], o))],
  ["error getToken 1441min", expiresError(1441, (o) => client.getToken(state.user, [CHAT], o))],
  [
    "error getToken no scopes",
    async () => {
      const error = await raised(() => client.getToken(state.user, []));
      return expectError(error, 400, "ValidationError", MSG_EMPTY_SCOPES, "scopes");
    },
  ],
  [
    "emulator mints a Teams user's Entra token",
    async () => {
      const user = { objectId: randomUUID(), appId: randomUUID() };
      const body = jsonBody(await send("POST", ADMIN_ENTRA_USER_TOKEN, user), 200);
      state.teams = { token: body.accessToken, expiresOn: body.expiresOn, ...user };
      return `appId ${user.appId}, objectId ${user.objectId}`;
    },
  ],
  [
    "getTokenForTeamsUser",
    async () => {
      const now = Date.now();
      const { token, appId, objectId, expiresOn } = state.teams;
      const result = await client.getTokenForTeamsUser({
        teamsUserAadToken: token,
        clientId: appId,
        userObjectId: objectId,
      });
      return expectToken(result, Math.round((Date.parse(expiresOn) - now) / 60_000), now);
    },
  ],
  [
    "error getTokenForTeamsUser bad token",
    async () => {
      const { appId, objectId } = state.teams;
      const error = await raised(() =>
        client.getTokenForTeamsUser({ teamsUserAadToken: "not-a-token", clientId: appId, userObjectId: objectId }),
      );
      return expectError(error, 401, "InvalidAccessToken", MSG_TEAMS_INVALID);
    },
  ],
  [
    "error getTokenForTeamsUser wrong app",
    async () => {
      const { token, objectId } = state.teams;
      const error = await raised(() =>
        client.getTokenForTeamsUser({ teamsUserAadToken: token, clientId: randomUUID(), userObjectId: objectId }),
      );
      return expectError(error, 400, "ValidationError", MSG_TEAMS_APP, "appId");
    },
  ],
  [
    "error getTokenForTeamsUser wrong user",
    async () => {
      const { token, appId } = state.teams;
      const error = await raised(() =>
        client.getTokenForTeamsUser({ teamsUserAadToken: token, clientId: appId, userObjectId: randomUUID() }),
      );
      return expectError(error, 400, "ValidationError", MSG_TEAMS_USER, "userId");
    },
  ],
  [
    "deleteUser",
    async () => {
      expect((await client.deleteUser(state.user)) === undefined, "deleteUser returned a value");
    },
  ],
  [
    "error getToken deleted identity",
    async () => {
      const error = await raised(() => client.getToken(state.user, [CHAT]));
      return expectError(error, ...DELETED_IDENTITY);
    },
  ],
  [
    "preview create customId twice",
    async () => {
      const customId = `interop-js-${randomUUID()}`;
      const path = `/identities?api-version=${PREVIEW_API_VERSION}`;
      const first = jsonBody(await send("POST", path, { customId }), 201).identity;
      expectUserId(first?.id);
      expectDetail(first, first.id, customId, false);
      await client.getToken({ communicationUserId: first.id }, [CHAT]);
      const again = jsonBody(await send("POST", path, { customId }), 201).identity;
      const detail = expectDetail(again, first.id, customId, true);
      state.custom = { id: first.id, customId };
      return `same id twice, ${detail}`;
    },
  ],
  [
    "preview get user detail",
    async () => {
      const { id, customId } = state.custom;
      const path = `/identities/${encodeURIComponent(id)}?api-version=${PREVIEW_API_VERSION}`;
      return expectDetail(jsonBody(await send("GET", path), 200), id, customId, true);
    },
  ],
  [
    "retry 429 Retry-After",
    async () => {
      jsonBody(await send("POST", ADMIN_FAULT_RULES, RETRY_FAULT), 200);
      expectUserId((await retryClient.createUser()).communicationUserId);
      const statuses = attempts.map((a) => a.status);
      expect(statuses.join() === "429,201", `statuses [${statuses}], wanted [429, 201]`);
      const same = attempts[0].auth === attempts[1].auth;
      return `statuses [${statuses}], ${same ? "same signature" : "re-signed"} on retry`;
    },
  ],
];

console.log(`plan ${checks.length}`);
for (const [name, body] of checks) {
  let detail;
  try {
    detail = await body();
  } catch (error) {
    const body = (error?.response?.bodyAsText ?? "").slice(0, 500);
    let why = error?.stack ?? String(error);
    if (error instanceof Mismatch) why = error.message;
    if (isRestError(error)) why = `RestError status=${error.statusCode} code=${error.code} body=${body}`;
    fail(name, why);
  }
  console.log(`ok   ${name}${detail ? `  (${detail})` : ""}`);
}
