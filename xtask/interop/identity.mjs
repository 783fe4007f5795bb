// The official @azure/communication-identity client against the emulator, at its default api-version and at every
// api-version it is run with (the SDK takes any `apiVersion` string; see README.md): every operation, the typed
// errors, what each version lacks (refused or ignored, as the emulator documents), the preview features
// through the SDK's own pipeline, and a retry.
//
// Run by `cargo xtask interop` (copied next to the node_modules it installs) with:
//   ACS_CONNECTION_STRING  the emulator's connection string (endpoint=...;accesskey=...)
//   INTEROP_TRANSPORT      "http" or "https"
//   NODE_EXTRA_CA_CERTS    the emulator's self-signed certificate (https only)
// Each check prints one line: `ok <name>  (<detail>)`; the first failure prints `FAIL <name>: <why>` and exits 1.

import { randomUUID } from "node:crypto";

import { CommunicationIdentityClient } from "@azure/communication-identity";
import { createHttpHeaders, createPipelineRequest, isRestError } from "@azure/core-rest-pipeline";

// @azure/communication-identity 1.3.1 declares no api-version list: the generated client takes `apiVersion` as any
// string (default 2023-10-01) and rewrites every request's `api-version=` to it. Run at its default, at the four
// versions this generation of the SDKs names (the Python SDK's ApiVersion enum; .NET's ServiceVersion up to
// 1.3.0), and at two newer versions the emulator serves. See README.md.
const SDK_DEFAULT_API_VERSION = "2023-10-01";
const SDK_API_VERSIONS = ["2021-03-07", "2022-06-01", "2022-10-01", "2023-10-01"];
const FORWARDED_API_VERSIONS = ["2025-06-30", "2025-03-02-preview"];
// Refused: the pre-GA version the service still lists, and one that never existed.
const PRE_GA_API_VERSION = "2020-07-20-preview2";
const UNKNOWN_API_VERSION = "2099-01-01";
// What each version has beyond create, issue, revoke and delete, as in interop_common.py (from the REST specs and
// the SDKs' changelogs, not read from acs_identity_types::ApiVersion, so that the two can disagree).
const LIFETIME = ["issueLifetime", "createLifetime"];
const FEATURES = {
  "2021-03-07": [],
  "2022-06-01": ["teams"],
  "2022-10-01": ["teams", ...LIFETIME],
  "2023-10-01": ["teams", "join", ...LIFETIME],
  "2025-06-30": ["teams", "join", ...LIFETIME],
  "2025-03-02-preview": ["teams", "join", "customId", ...LIFETIME],
};
const JOIN_SCOPES = ["chat.join", "chat.join.limited", "voip.join"];
// The real service's exact error texts.
const msgExpires = (m) => `ExpiresInMinutes value ${m} is invalid. Value must be within the [60, 1440] interval.`;
const MSG_EMPTY_SCOPES = "Invalid scopes - Scopes field is required.";
const MSG_TEAMS_INVALID = "Provided access token is not valid.";
const MSG_TEAMS_APP = "AAD application is not the expected one.";
const MSG_TEAMS_USER = "Provided AAD token issued for unexpected user.";
const msgUnsupportedVersion = (uri, v) =>
  `The HTTP resource that matches the request URI '${uri}' does not support the API version '${v}'.`;
// The emulator's own texts where the service's were not recorded (crates/acs-identity-emulator/README.md): a scope
// the version does not have (as an unknown scope), and the pre-GA version.
const MSG_SCOPE_UNSUPPORTED = "Invalid scopes - Provided scope is not supported.";
const msgPreGa = (v) =>
  `The emulator does not serve the pre-GA API version '${v}' (POST /identities/{id}/token, PATCH /identities/{id}); ` +
  "use 2021-03-07 or later.";
// The emulator's admin routes (crates/acs-identity-emulator/README.md), signed like the ACS routes.
const ADMIN_ENTRA_USER_TOKEN = "/_emulator/entra/users/:issueToken";
const ADMIN_FAULT_RULES = "/_emulator/faults/rules";
const ADMIN_VALIDATE_TOKEN = "/_emulator/tokens/:validate";
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
// The SDK at its default api-version; it also sends the emulator's admin requests.
const admin = new CommunicationIdentityClient(connectionString, options);

// The SDK's generated client (a core-client ServiceClient) whose pipeline holds the SDK's HMAC policy (added by
// the CommunicationIdentityClient constructor), its api-version policy when one was given and its retry policies:
// sendRequest runs the request through them.
async function send(client, method, path, body) {
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


// A pipeline policy after the retry policies that records every attempt (URL, status, signature). The SDK signs
// once, before them, so all attempts of one call carry the same x-ms-date and signature.
function recorded(client) {
  const attempts = [];
  client.client.pipeline.addPolicy(
    {
      name: "interopAttemptRecorder",
      async sendRequest(request, next) {
        const attempt = { url: request.url, auth: request.headers.get("authorization"), status: undefined };
        attempts.push(attempt);
        const response = await next(request);
        attempt.status = response.status;
        return response;
      },
    },
    { afterPhase: "Retry" },
  );
  return attempts;
}

// What the emulator says of an ACS token (valid, revoked, ...), through its admin route.
async function tokenStatus(token) {
  return jsonBody(await send(admin, "POST", ADMIN_VALIDATE_TOKEN, { token }), 200).status;
}

const CHAT = "chat";
const VOIP = "voip";
const teams = {};

function globalChecks() {
  const refused = (version, message) => async () => {
    const client = new CommunicationIdentityClient(connectionString, { ...options, apiVersion: version });
    return expectError(await raised(() => client.createUser()), 400, "UnsupportedApiVersion", message);
  };
  const unknownUri = `${endpoint}/identities?api-version=${UNKNOWN_API_VERSION}`;
  return [
    [
      "emulator mints a Teams user's Entra token",
      async () => {
        const user = { objectId: randomUUID(), appId: randomUUID() };
        const body = jsonBody(await send(admin, "POST", ADMIN_ENTRA_USER_TOKEN, user), 200);
        Object.assign(teams, { token: body.accessToken, expiresOn: body.expiresOn, ...user });
        return `appId ${user.appId}, objectId ${user.objectId}`;
      },
    ],
    [`${PRE_GA_API_VERSION} createUser refused (pre-GA)`, refused(PRE_GA_API_VERSION, msgPreGa(PRE_GA_API_VERSION))],
    [
      `${UNKNOWN_API_VERSION} createUser refused (unknown)`,
      refused(UNKNOWN_API_VERSION, msgUnsupportedVersion(unknownUri, UNKNOWN_API_VERSION)),
    ],
  ];
}

// The checks at one api-version: `version` is what the client is given (undefined: the SDK's default).
function versionChecks(label, version) {
  const wire = version ?? SDK_DEFAULT_API_VERSION;
  const has = (feature) => FEATURES[wire].includes(feature);
  const client = new CommunicationIdentityClient(
    connectionString,
    version === undefined ? options : { ...options, apiVersion: version },
  );
  const attempts = recorded(client);
  const state = {};
  const checks = [];
  const check = (name, body) => checks.push([`${label} ${name}`, body]);

  const lifetime = (minutes) => (minutes === undefined ? {} : { tokenExpiresInMinutes: minutes });
  const createUserAndToken = (scopes, asked, wanted) => async () => {
    const now = Date.now();
    const result = await client.createUserAndToken(scopes, lifetime(asked));
    expectUserId(result.user?.communicationUserId);
    return expectToken(result, wanted, now);
  };
  const getToken = (scopes, asked, wanted, keep = false) => async () => {
    const now = Date.now();
    const token = await client.getToken(state.user, scopes, lifetime(asked));
    if (keep) state.token = token.token;
    return expectToken(token, wanted, now);
  };
  const error =
    (call, ...expected) =>
    async () =>
      expectError(await raised(call), ...expected);
  const invalidLifetime = (m) => [400, "ValidationError", msgExpires(m), "ExpiresInMinutes"];
  const unsupportedScope = (target) => [400, "ValidationError", MSG_SCOPE_UNSUPPORTED, target];

  check("createUser", async () => {
    state.user = await client.createUser();
    expectUserId(state.user.communicationUserId);
    return state.user.communicationUserId;
  });
  check("createUserAndToken", createUserAndToken([CHAT], undefined, 1440));
  check("getToken [chat]", getToken([CHAT], undefined, 1440, true));
  check("getToken [voip]", getToken([VOIP], undefined, 1440));
  check("getToken [chat, voip]", getToken([CHAT, VOIP], undefined, 1440));
  if (has("createLifetime")) {
    check("createUserAndToken expiresInMinutes=60", createUserAndToken([CHAT], 60, 60));
    check(
      "error createUserAndToken 59min",
      error(() => client.createUserAndToken([CHAT], lifetime(59)), ...invalidLifetime(59)),
    );
  } else {
    // A field the version does not have is ignored, as the service's model binding does: 24 hours.
    check("createUserAndToken expiresInMinutes=60 ignored", createUserAndToken([CHAT], 60, 1440));
    check("createUserAndToken expiresInMinutes=59 ignored", createUserAndToken([CHAT], 59, 1440));
  }
  if (has("issueLifetime")) {
    check("getToken expiresInMinutes=90", getToken([CHAT], 90, 90));
    check(
      "error getToken 1441min",
      error(() => client.getToken(state.user, [CHAT], lifetime(1441)), ...invalidLifetime(1441)),
    );
  } else {
    check("getToken expiresInMinutes=90 ignored", getToken([CHAT], 90, 1440));
    check("getToken expiresInMinutes=1441 ignored", getToken([CHAT], 1441, 1440));
  }
  if (has("join")) {
    check(`getToken [${JOIN_SCOPES.join(", ")}]`, getToken(JOIN_SCOPES, undefined, 1440));
    check("createUserAndToken [voip.join]", createUserAndToken(["voip.join"], undefined, 1440));
  } else {
    check(
      "error getToken join scopes",
      error(() => client.getToken(state.user, JOIN_SCOPES), ...unsupportedScope("scopes")),
    );
    check(
      "error createUserAndToken [voip.join]",
      error(() => client.createUserAndToken(["voip.join"]), ...unsupportedScope("createTokenWithScopes")),
    );
  }
  check(
    "error getToken no scopes",
    error(() => client.getToken(state.user, []), 400, "ValidationError", MSG_EMPTY_SCOPES, "scopes"),
  );
  check("revokeTokens", async () => {
    const before = await tokenStatus(state.token);
    expect(before === "valid", `the [chat] token is ${before} before the revocation`);
    expect((await client.revokeTokens(state.user)) === undefined, "revokeTokens returned a value");
    const after = await tokenStatus(state.token);
    expect(after === "revoked", `the [chat] token is ${after} after the revocation, wanted revoked`);
    return "the earlier token is revoked";
  });

  const teamsCall =
    ({ token, appId, objectId } = {}) =>
    () =>
      client.getTokenForTeamsUser({
        teamsUserAadToken: token ?? teams.token,
        clientId: appId ?? teams.appId,
        userObjectId: objectId ?? teams.objectId,
      });
  if (has("teams")) {
    check("getTokenForTeamsUser", async () => {
      const now = Date.now();
      const result = await teamsCall()();
      return expectToken(result, Math.round((Date.parse(teams.expiresOn) - now) / 60_000), now);
    });
    check(
      "error getTokenForTeamsUser bad token",
      error(teamsCall({ token: "not-a-token" }), 401, "InvalidAccessToken", MSG_TEAMS_INVALID),
    );
    check(
      "error getTokenForTeamsUser wrong app",
      error(teamsCall({ appId: randomUUID() }), 400, "ValidationError", MSG_TEAMS_APP, "appId"),
    );
    check(
      "error getTokenForTeamsUser wrong user",
      error(teamsCall({ objectId: randomUUID() }), 400, "ValidationError", MSG_TEAMS_USER, "userId"),
    );
  } else {
    const uri = `${endpoint}/teamsUser/:exchangeAccessToken?api-version=${wire}`;
    check(
      "error getTokenForTeamsUser (not in this version)",
      error(teamsCall(), 400, "UnsupportedApiVersion", msgUnsupportedVersion(uri, wire)),
    );
  }

  // customId and GET identity: the SDK has no method for them; sent through its pipeline (its HMAC signing).
  const customId = `interop-js-${label}-${randomUUID()}`;
  const createWithCustomId = async () => {
    const body = jsonBody(await send(client, "POST", `/identities?api-version=${wire}`, { customId }), 201);
    expectUserId(body.identity?.id);
    return body.identity;
  };
  if (has("customId")) {
    check("create customId twice (raw)", async () => {
      const first = await createWithCustomId();
      expectDetail(first, first.id, customId, false);
      await client.getToken({ communicationUserId: first.id }, [CHAT]);
      const again = await createWithCustomId();
      const detail = expectDetail(again, first.id, customId, true);
      state.custom = first.id;
      return `same id twice, ${detail}`;
    });
    check("get user detail (raw)", async () => {
      const path = `/identities/${encodeURIComponent(state.custom)}?api-version=${wire}`;
      return expectDetail(jsonBody(await send(client, "GET", path), 200), state.custom, customId, true);
    });
  } else {
    check("customId ignored (raw)", async () => {
      const [first, again] = [await createWithCustomId(), await createWithCustomId()];
      for (const identity of [first, again]) {
        expect(!("customId" in identity), `identity ${JSON.stringify(identity)}: this version has no customId`);
      }
      expect(first.id !== again.id, `one identity ${first.id} for two creates, wanted two`);
      return "two creates with one customId, two identities";
    });
    check("error get user (raw, not in this version)", async () => {
      const path = `/identities/${encodeURIComponent(state.user.communicationUserId)}?api-version=${wire}`;
      const { error: got } = jsonBody(await send(client, "GET", path), 400);
      const message = msgUnsupportedVersion(`${endpoint}${path}`, wire);
      expect(got?.code === "UnsupportedApiVersion", `code ${JSON.stringify(got?.code)}`);
      expect(got.message === message, `message ${JSON.stringify(got.message)}, wanted ${JSON.stringify(message)}`);
      return `400 UnsupportedApiVersion: ${got.message}`;
    });
  }

  check("deleteUser", async () => {
    expect((await client.deleteUser(state.user)) === undefined, "deleteUser returned a value");
  });
  check(
    "error getToken deleted identity",
    error(() => client.getToken(state.user, [CHAT]), ...DELETED_IDENTITY),
  );
  check("api-version on the wire", async () => {
    expect(attempts.length > 0, "no request recorded");
    const versions = new Set(attempts.map((a) => new URL(a.url).searchParams.get("api-version")));
    expect(
      versions.size === 1 && versions.has(wire),
      `the requests carried api-version ${[...versions].join(", ")}, wanted ${wire}`,
    );
    return `${attempts.length} requests, all api-version=${wire}`;
  });
  return checks;
}

function retryChecks() {
  const client = new CommunicationIdentityClient(connectionString, { ...options, retryOptions: { maxRetries: 3 } });
  const attempts = recorded(client);
  return [
    [
      "default retry 429 Retry-After",
      async () => {
        jsonBody(await send(admin, "POST", ADMIN_FAULT_RULES, RETRY_FAULT), 200);
        expectUserId((await client.createUser()).communicationUserId);
        const statuses = attempts.map((a) => a.status);
        expect(statuses.join() === "429,201", `statuses [${statuses}], wanted [429, 201]`);
        const same = attempts[0].auth === attempts[1].auth;
        return `statuses [${statuses}], ${same ? "same signature" : "re-signed"} on retry`;
      },
    ],
  ];
}

const checks = [
  ...globalChecks(),
  ...versionChecks("default", undefined),
  ...[...SDK_API_VERSIONS, ...FORWARDED_API_VERSIONS].flatMap((v) => versionChecks(v, v)),
  ...retryChecks(),
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
