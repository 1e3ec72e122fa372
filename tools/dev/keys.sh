#!/bin/sh
# First-run development secrets, each made only if missing, none tracked:
#   .env                 settings with fresh random keys and DB password
#   .keys/jwt-private.pem, .keys/jwt-public.pem   RS256 pair (optional use)
#   .keys/tls/server.pem, .keys/tls/key.pem       self-signed localhost cert
#                                                 (ECDSA P-256)
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
umask 077

rand() {
	openssl rand -hex "$1"
}

if [ ! -f .env ]; then
	cat >.env <<EOF
# Development settings made by tools/dev/keys.sh on first run.
# Not tracked by git. See README.md for every variable.
DEBUG=True
SECRET_KEY=$(rand 32)
JWT_SIGNING_KEY=$(rand 32)
JWT_ALGORITHM=HS256
JWT_ACCESS_TOKEN_LIFETIME_MINUTES=60
JWT_REFRESH_TOKEN_LIFETIME_DAYS=1
JWT_ISSUER=mtapi
JWT_AUDIENCE=mtapi
DB_NAME=mtapi
DB_USER=mtapi
DB_PASSWORD=$(rand 24)
DB_HOST=127.0.0.1
DB_PORT=54329
ALLOWED_HOSTS=localhost,127.0.0.1,[::1]
CORS_ALLOWED_ORIGINS=
LOG_LEVEL=INFO
EOF
	echo "keys: wrote .env with fresh development secrets"
fi

mkdir -p .keys/tls

if [ ! -f .keys/jwt-private.pem ]; then
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out .keys/jwt-private.pem 2>/dev/null
	openssl pkey -in .keys/jwt-private.pem -pubout \
	    -out .keys/jwt-public.pem
	echo "keys: made an RS256 development key pair in .keys/"
fi

# ECDSA P-256: a full TLS handshake costs the server a fraction of what an
# RSA-2048 one does (docs/operations.md has both, and the figures).
if [ ! -f .keys/tls/key.pem ] || [ ! -f .keys/tls/server.pem ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -days 825 -subj "/CN=localhost" \
	    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
	    -keyout .keys/tls/key.pem -out .keys/tls/server.pem 2>/dev/null
	echo "keys: made a self-signed TLS certificate in .keys/tls/"
fi
