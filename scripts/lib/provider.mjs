// provider.mjs: a local OpenID Provider for ./scripts/demo and the end-to-end
// tests, on npm oidc-provider with its development login form (any login and
// password is accepted). Keys are generated at every start; nothing is stored.
//
//   node scripts/lib/provider.mjs --port 9000 --redirect-uri http://127.0.0.1:8000/callback \
//     [--issuer http://localhost:9000] [--post-logout-redirect-uri URI] \
//     --audience http://127.0.0.1:8000/ [--client-secret S]
//
// Clients:
//   hello-world         the sidecar: authorization code (+ PKCE) and refresh, client_secret_basic,
//                       secret from --client-secret or $AUTHGATE_CLIENT_SECRET
//   api-client          client credentials, secret api-client-secret, may get scope api:read
//   api-client-noscope  client credentials, secret api-client-noscope-secret, no api:read
// Client-credentials access tokens are ES256 JWTs (typ at+jwt) for the audience; ID tokens RS256.
// It listens on 127.0.0.1 but names itself http://localhost:PORT, so that a browser keeps its
// cookies apart from those of a sidecar on 127.0.0.1, as for two real sites.
// When ready it prints one line on stdout: {"msg":"listening","issuer":"..."}; SIGTERM stops it.

import * as crypto from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

// oidc-provider prints its development notices with console.info; they go to
// stderr so that stdout carries only the ready line a script waits for.
console.info = console.error;

const usage = 'usage: node scripts/lib/provider.mjs --port P [--issuer URL] --redirect-uri URI '
  + '[--post-logout-redirect-uri URI] --audience AUD [--client-secret S]';

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        issuer: { type: 'string' },
        'redirect-uri': { type: 'string' },
        'post-logout-redirect-uri': { type: 'string' },
        audience: { type: 'string' },
        'client-secret': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`${error.message}\n${usage}`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port: a port number is required\n${usage}`);
  if (!values['redirect-uri']) fail(`--redirect-uri is required\n${usage}`);
  if (!values.audience) fail(`--audience is required\n${usage}`);
  const clientSecret = values['client-secret'] ?? process.env.AUTHGATE_CLIENT_SECRET;
  if (!clientSecret) fail('--client-secret or AUTHGATE_CLIENT_SECRET is required');
  return {
    port,
    issuer: values.issuer ?? `http://localhost:${port}`,
    redirectUri: values['redirect-uri'],
    postLogoutRedirectUri: values['post-logout-redirect-uri'],
    audience: values.audience,
    clientSecret,
  };
}

// fail MESSAGE [STATUS]: 2 for a usage error, 1 when the provider cannot run.
function fail(message, status = 2) {
  console.error(`provider: ${message}`);
  process.exit(status);
}

function signingKey(type, options, kid, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

const options = parseOptions();
const API_SCOPE = 'api:read';
// The clients that may get api:read. The resource server below decides: a
// client's own `scope` list would not keep it from asking for it.
const API_SCOPE_CLIENTS = new Set(['api-client']);

const configuration = {
  clients: [
    {
      client_id: 'hello-world',
      client_secret: options.clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [options.redirectUri],
      post_logout_redirect_uris: options.postLogoutRedirectUri ? [options.postLogoutRedirectUri] : [],
    },
    {
      client_id: 'api-client',
      client_secret: 'api-client-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'api-client-noscope',
      client_secret: 'api-client-noscope-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  // The first key of an algorithm signs: RS256 for ID tokens (the default),
  // ES256 for the JWT access tokens of the resource server below.
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'demo-rs256', 'RS256'),
      signingKey('ec', { namedCurve: 'P-256' }, 'demo-es256', 'ES256'),
    ],
  },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', 'profile', 'email', API_SCOPE],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  // Whatever the login form was given is the user.
  findAccount: (_ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, name: id, email: `${id}@example.test`, email_verified: true }),
  }),
  // Lifetimes in seconds, set so that the defaults' notices stay out of the log.
  ttl: {
    AccessToken: 3600,
    ClientCredentials: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 86400,
    Interaction: 600,
    Session: 86400,
    Grant: 86400,
  },
  // Sessions can be refreshed without asking for offline_access, as with
  // most hosted providers.
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Without a default, a token request without resource= would get an
      // opaque access token; the API expects a JWT for the audience.
      defaultResource: (_ctx, _client, oneOf) => oneOf ?? options.audience,
      getResourceServerInfo: (_ctx, resourceIndicator, client) => {
        if (resourceIndicator !== options.audience) throw new errors.InvalidTarget();
        return {
          audience: options.audience,
          scope: API_SCOPE_CLIENTS.has(client.clientId) ? API_SCOPE : '',
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
};

const provider = new Provider(options.issuer, configuration);
const server = provider.listen(options.port, '127.0.0.1');
server.on('error', (error) => fail(`cannot listen on 127.0.0.1:${options.port}: ${error.message}`, 1));
server.on('listening', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', issuer: options.issuer })}\n`);
});

function shutDown() {
  server.close(() => process.exit(0));
  // Browsers keep connections open; do not wait for them.
  server.closeAllConnections();
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
