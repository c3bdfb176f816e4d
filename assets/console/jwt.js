// Decodes JWTs and checks them the way a relying party must (OIDC Core §3.1.3.7, §3.2.2.11,
// §3.3.2.12): signature with WebCrypto against the issuer's JWKS (or the client secret for
// HS256), then iss, aud, exp, nonce, at_hash and c_hash. Each check is reported separately so
// the Try-it panel can show which one failed.

export function b64urlToBytes(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToB64url(bytes) {
  let bin = '';
  for (const b of new Uint8Array(bytes)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function randomB64url(n = 32) {
  return bytesToB64url(crypto.getRandomValues(new Uint8Array(n)));
}

/** RFC 7636 §4.2: S256 code challenge. */
export async function pkceChallenge(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return bytesToB64url(digest);
}

/** {header, payload, signingInput, signature} or null when `token` is not a compact JWS. */
export function decode(token) {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const dec = new TextDecoder();
    return {
      header: JSON.parse(dec.decode(b64urlToBytes(parts[0]))),
      payload: JSON.parse(dec.decode(b64urlToBytes(parts[1]))),
      signingInput: new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
      signature: b64urlToBytes(parts[2]),
    };
  } catch {
    return null;
  }
}

/** WebCrypto import and verify parameters per JWS alg (RFC 7518 §3, RFC 8037). */
const ALGS = {
  RS256: { imp: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ver: { name: 'RSASSA-PKCS1-v1_5' }, kty: 'RSA' },
  PS256: { imp: { name: 'RSA-PSS', hash: 'SHA-256' }, ver: { name: 'RSA-PSS', saltLength: 32 }, kty: 'RSA' },
  ES256: { imp: { name: 'ECDSA', namedCurve: 'P-256' }, ver: { name: 'ECDSA', hash: 'SHA-256' }, kty: 'EC' },
  EdDSA: { imp: { name: 'Ed25519' }, ver: { name: 'Ed25519' }, kty: 'OKP' },
  Ed25519: { imp: { name: 'Ed25519' }, ver: { name: 'Ed25519' }, kty: 'OKP' },
};

/** Verifies the signature: {ok, detail}. `jwks` is the issuer's key set; `secret` for HS256. */
export async function verifySignature(jwt, { jwks, secret }) {
  const alg = jwt.header.alg;
  try {
    if (alg === 'HS256') {
      if (!secret) return { ok: false, detail: 'HS256 needs the client secret' };
      const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret),
        { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      const ok = await crypto.subtle.verify('HMAC', key, jwt.signature, jwt.signingInput);
      return { ok, detail: ok ? 'HMAC-SHA256 with the client secret' : 'HMAC does not match' };
    }
    const spec = ALGS[alg];
    if (!spec) return { ok: false, detail: `unsupported alg ${String(alg)}` };
    const keys = (jwks && jwks.keys) || [];
    const candidates = keys.filter((k) => (!jwt.header.kid || k.kid === jwt.header.kid) && k.kty === spec.kty);
    if (!candidates.length) return { ok: false, detail: `no ${spec.kty} key with kid ${jwt.header.kid} in the JWKS` };
    for (const jwk of candidates) {
      const pub = { ...jwk };
      delete pub.alg; delete pub.use; delete pub.key_ops;
      const key = await crypto.subtle.importKey('jwk', pub, spec.imp, false, ['verify']);
      if (await crypto.subtle.verify(spec.ver, key, jwt.signature, jwt.signingInput)) {
        return { ok: true, detail: `${alg} with key ${jwk.kid || '(no kid)'}` };
      }
    }
    return { ok: false, detail: `${alg} signature does not verify` };
  } catch (e) {
    return { ok: false, detail: `${alg}: ${e.message}` };
  }
}

/** OIDC Core §3.1.3.6 / §3.3.2.11: left half of the hash of the ASCII value, base64url. */
export async function halfHash(value, alg) {
  const hash = alg === 'EdDSA' || alg === 'Ed25519' ? 'SHA-512' : 'SHA-256';
  const d = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(value)));
  return bytesToB64url(d.slice(0, d.length / 2));
}

/**
 * All checks for one token. `kind` is 'id_token' or 'access_token'. `expect` may carry
 * issuer, audience, nonce, accessToken (for at_hash), code (for c_hash), now (seconds).
 * Returns {decoded, checks: [{name, ok, detail}]} (decoded null for opaque tokens).
 */
export async function checkToken(token, kind, expect, keys) {
  const decoded = decode(token);
  if (!decoded) return { decoded: null, checks: [{ name: 'format', ok: false, detail: 'not a JWT (opaque token)' }] };
  const { header, payload } = decoded;
  const checks = [];
  const add = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });
  const sig = await verifySignature(decoded, keys);
  add('signature', sig.ok, sig.detail);
  add('alg is not none', header.alg && header.alg !== 'none', `alg ${header.alg}`);
  if (expect.issuer) add('iss', payload.iss === expect.issuer, `iss ${payload.iss}`);
  if (expect.audience) {
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    add('aud', aud.includes(expect.audience), `aud ${JSON.stringify(payload.aud)}`);
  }
  const now = expect.now ?? Math.floor(Date.now() / 1000);
  add('exp', typeof payload.exp === 'number' && payload.exp > now,
    typeof payload.exp === 'number' ? `expires ${new Date(payload.exp * 1000).toISOString()}` : 'no exp');
  if (kind === 'id_token') {
    add('iat', typeof payload.iat === 'number' && payload.iat <= now + 300, `iat ${payload.iat}`);
    if (expect.nonce !== undefined) add('nonce', payload.nonce === expect.nonce, `nonce ${payload.nonce}`);
    if (expect.accessToken && payload.at_hash !== undefined) {
      const want = await halfHash(expect.accessToken, header.alg);
      add('at_hash', payload.at_hash === want, `at_hash ${payload.at_hash}`);
    } else if (expect.accessToken && expect.requireAtHash) {
      add('at_hash', false, 'at_hash missing');
    }
    if (expect.code && payload.c_hash !== undefined) {
      const want = await halfHash(expect.code, header.alg);
      add('c_hash', payload.c_hash === want, `c_hash ${payload.c_hash}`);
    } else if (expect.code && expect.requireCHash) {
      add('c_hash', false, 'c_hash missing');
    }
  }
  return { decoded, checks };
}
