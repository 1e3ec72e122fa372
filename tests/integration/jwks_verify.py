#!/usr/bin/python3
"""Verify a token of this service the way another service would: with an
outside library (PyJWT, Debian's python3-jwt) and nothing but the server's
published JWK set. Run by tests/integration/test_keys.c.

usage: jwks_verify.py BASE_URL TOKEN ISSUER AUDIENCE
Prints the verified claims as JSON and exits 0; exits 1 if the token does
not verify, 2 on bad usage."""

import json
import sys
import urllib.request

import jwt


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    base, token, issuer, audience = sys.argv[1:]

    with urllib.request.urlopen(base + "/.well-known/jwks.json",
                                timeout=10) as r:
        jwks = json.load(r)

    # The kid picks the key; the key's own alg is the only one allowed.
    kid = jwt.get_unverified_header(token).get("kid")
    keys = [k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == kid]
    if len(keys) != 1:
        print("no key %r in the JWK set" % kid, file=sys.stderr)
        return 1
    key = keys[0]

    try:
        claims = jwt.decode(token, key.key, algorithms=[key._jwk_data["alg"]],
                            issuer=issuer, audience=audience)
    except jwt.PyJWTError as e:
        print("does not verify: %s" % e, file=sys.stderr)
        return 1

    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
