// The device key: ECDSA P-256 made on the phone with WebCrypto. The private key is
// non-extractable and kept in IndexedDB as a CryptoKey (structured clone keeps it usable but
// unreadable); the public half goes to the server as a JWK at sign-in. A record's hash is signed
// over its 32 raw bytes; WebCrypto already gives the IEEE P1363 form (r || s) the server expects.

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };

export async function makeDeviceKey() {
  const pair = await crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return {
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
  };
}

export function base64url(buffer) {
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export async function signHash(privateKey, hashHex) {
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    privateKey,
    hexToBytes(hashHex),
  );
  return base64url(signature);
}
