#!/bin/sh
# Write the seeds of tests/fuzz/corpus/<harness>/: the inputs the unit
# and integration tests send (taken from their sources), and a few written
# here for what the tests build at run time (signed tokens, whole bodies,
# .env files). One file per input, named by its SHA-1, as libFuzzer names
# them; files already there stay (the corpora also hold what
# "tools/dev/fuzz.sh merge" added from long runs). Run from anywhere;
# commit the result.
#
# Raw tokens are signed with fuzz_token.c's HS256 key and expire after
# its clock (NOW + 300 s), so they stay valid for the harness.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=tests/fuzz/corpus

HS_KEY=$(sed -n 's/^#define HS_KEY[[:space:]]*"\(.*\)"$/\1/p' \
    tests/fuzz/fuzz_token.c)
[ -n "$HS_KEY" ] || { echo "seeds: no HS_KEY in fuzz_token.c" >&2; exit 1; }

# seed HARNESS TEXT: one input (printf %b: \n, \t, \0NNN are bytes);
# seed_as_is HARNESS TEXT: the text as it is.
seed() {
	mkdir -p "$out/$1"
	printf '%b' "$2" >"$out/$1/.new"
	keep "$1"
}
seed_as_is() {
	mkdir -p "$out/$1"
	printf '%s' "$2" >"$out/$1/.new"
	keep "$1"
}
keep() {
	mv "$out/$1/.new" "$out/$1/$(sha1sum <"$out/$1/.new" | cut -c1-40)"
}

# C string literals of the test sources, unescaped, formats filled in.
c_strings() {
	sed -e 's/\\"/"/g' -e 's/\\\\/\\/g' -e 's/%lld/7/g' -e 's/%zu/3/g' \
	    -e 's/%s/x/g'
}

b64url() {
	basenc --base64url -w0 | tr -d '='
}

# A raw Authorization header: header and payload JSON signed HS256.
signed() {
	h=$(printf '%s' "$1" | b64url)
	p=$(printf '%s' "$2" | b64url)
	s=$(printf '%s' "$h.$p" | openssl dgst -sha256 -hmac "$HS_KEY" \
	    -binary | b64url)
	printf 'Bearer %s.%s.%s' "$h" "$p" "$s"
}

mkdir -p "$out"

# ---- token: claims as token.c's unit tests vary them ----
T=3f2b8c1e-9a4d-4e7f-8b2a-1c3d5e7f9a0b
J=a1b2c3d4-e5f6-4789-8abc-def012345678
S=0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9
C=mtc_abcdefghijklmnopqrstuvw
common="\"iat\":1767225590,\"exp\":1767225900,\"iss\":\"mtapi-fuzz\",\"aud\":\"mtapi-fuzz-clients\",\"jti\":\"$J\""
user="{\"token_type\":\"access\",\"auth_type\":\"user\",\"tenant\":\"$T\",\"tenant_slug\":\"acme\",\"sub\":\"42\",\"user_id\":42,$common,\"sid\":\"$S\"}"
client="{\"token_type\":\"access\",\"auth_type\":\"api_client\",\"tenant\":\"$T\",\"sub\":\"$C\",\"client_id\":\"$C\",\"roles\":[\"read\",\"write\"],\"scopes\":[\"read:projects\",\"write:tasks\",\"read:documents\"],$common}"
service="{\"token_type\":\"access\",\"auth_type\":\"service\",\"tenant\":\"$T\",\"sub\":\"billing\",\"roles\":[\"admin\"],\"scopes\":[\"*\"],$common}"
refresh="{\"token_type\":\"refresh\",\"auth_type\":\"user\",\"tenant\":\"$T\",\"sub\":\"42\",\"user_id\":42,$common}"
hs='{"alg":"HS256","typ":"JWT"}'
for p in "$user" "$client" "$service" "$refresh"; do
	for m in h s c; do
		seed token "$m$p"
	done
	seed token "$(signed "$hs" "$p")"
done
seed token "$(signed '{"alg":"HS256"}' "$user")"
seed token "$(signed '{"alg":"HS256","typ":"JWS"}' "$user")"
seed token "$(signed '{"alg":"none","typ":"JWT"}' "$user")"
seed token "$(signed '{"alg":"none","alg":"HS256"}' "$user")"
seed token "$(signed "$hs" '[1,2,3]')"
seed token "h{\"alg\":\"HS256\",\"kid\":\"x\"}\n$user"
seed token "h{\"alg\":\"RS256\",\"typ\":\"JWT\"}\n$user"
seed token "s{\"alg\":\"HS256\",\"typ\":\"JWT\"}\n$user"
seed token "c{\"alg\":\"HS256\"}\n$service"
seed token "h$(echo "$user" | sed 's/"user_id":42/"user_id":-42/')"
seed token "h$(echo "$user" | sed 's/"exp":1767225900/"exp":1767225600/')"
seed token "h$(echo "$user" | sed "s/$T/{$T}/")"
seed token "h$(echo "$user" | sed 's/"aud":"mtapi-fuzz-clients"/"aud":["other","mtapi-fuzz-clients"]/')"
seed token "h{\"tenant\":\"99999999-9a4d-4e7f-8b2a-1c3d5e7f9a0b\",${user#\{}"
seed token "h$(echo "$client" | sed 's/"roles":\["read","write"\]/"roles":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]/')"
# The Authorization headers of tests/integration/test_auth_hook.c.
seed token "Basic eHl6OnBhc3M="
seed token "Bearer"
seed token "Bearer    "
seed token "bearer\tabc.def.ghi"
seed token "Bearer a.b"
seed token "Bearer .."
seed token "Bearer a.b.c.d"
seed token "Bearer eyJhbGciOiJub25lIn0.e30."

# ---- body: the JSON bodies of the tests, then whole ones ----
grep -ho '"{\\".*}"' tests/integration/*.c | sed 's/^"//; s/"$//' |
    c_strings | sort -u |
while IFS= read -r line; do
	seed_as_is body "$line"
done
seed body '{"name":"p","description":"","status":"active"}'
seed body '{"name":"  trimmed  ","description":"d","status":"archived"}'
seed body '{"project":1,"title":"t","description":"d","status":"in_progress","priority":"critical","due_date":"2026-02-28"}'
seed body '{"project":"7","title":"t","due_date":null}'
seed body '{"project":9223372036854775807,"title":"t","due_date":"2024-02-29"}'
seed body '{"project":0,"title":"t","due_date":"2026-02-30"}'
seed body '{"project":null,"name":"doc","file_path":"/a/b","file_size":3,"content_type":"text/plain","metadata":{"k":[1,2.5,{"x":null}]}}'
seed body '{"name":"doc","file_path":"p","file_size":"42.000","content_type":"application/vnd.api+json","metadata":{}}'
seed body '{"name":"doc","file_path":"p","file_size":3.0,"content_type":"a/b"}'
seed body '{"name":"doc","file_path":"p","file_size":-1,"content_type":"nope"}'
seed body '{"name":"doc","file_path":"p","file_size":" +42 ","content_type":"text/plain","metadata":[]}'
seed body '{"username":"alice","password":"  spaced  ","tenant":null}'
seed body '{"client_id":"mtc_x","client_secret":"s"}'
seed body '{"refresh":"a.b.c"}'
seed body '{"token":"a.b.c"}'
seed body '{"name":true}'
seed body '{"name":1e400}'
seed body '{"name":12.5,"description":7}'
seed body '{"name":"\\u00e9t\\u00e9","status":"\\u0000"}'
seed body "{\"name\":\"doc\",\"metadata\":{\"notes\":\"$(printf '%0300d' 0)\"}}"
seed body '{"name":"a","name":"b"}'
seed body '[1,2,3]'
seed body '"just a string"'
seed body 'null'
seed body '{}'

# ---- query: the query strings of the integration tests ----
grep -ho '?[a-z_]*=[^"]*"' tests/integration/*.c | sed 's/^?//; s/"$//' |
    c_strings | sort -u |
while IFS= read -r line; do
	seed_as_is query "$line"
done
seed query 'page=2&page_size=10&ordering=-created_at&status=todo&priority=high&project=7&search=x'
seed query 'page=2&page=5&page_size=20'
seed query 'page=9223372036854775807&page_size=100'
seed query 'a==b&=c&d=e=f&&'
seed query 'search=a+b%20c&ordering=name'

# ---- envfile: what test.sh and the unit tests write ----
seed envfile 'DEBUG=True\nSECRET_KEY=0123456789abcdef0123456789abcdef\nJWT_SIGNING_KEY=0123456789abcdef0123456789abcdef\nJWT_ALGORITHM=HS256\nJWT_ACCESS_TOKEN_LIFETIME_MINUTES=60\nJWT_REFRESH_TOKEN_LIFETIME_DAYS=1\nJWT_ISSUER=mtapi-test\nJWT_AUDIENCE=mtapi-test-clients\nDB_NAME=mtapi_test\nDB_USER=mtapi_test\nDB_PASSWORD=0123456789abcdef\nDB_HOST=127.0.0.1\nDB_PORT=54329\nALLOWED_HOSTS=localhost,127.0.0.1\nCORS_ALLOWED_ORIGINS=http://allowed.example\nLOG_LEVEL=INFO\nTLS_RELOAD_SECONDS=1\n'
seed envfile '# a comment\n\n   # an indented comment\nPLAIN=value\nexport EXPORTED=yes\nDQ="double quoted"\nSQ='"'"'single # quoted'"'"'\n  SPACED  =  spaced value  \nEQUALS=a=b=c\nEMPTY=\nHALFQUOTE="open\nCRLF=dos\r\n'
seed envfile 'GOOD=1\n# fine\nthis line is wrong\n'
seed envfile 'DEBUG\n'
seed envfile 'DEBUG=maybe\n'
seed envfile 'DEBUG=False\nJWT_SIGNING_KEY=changeme\n'
seed envfile 'DEBUG=False\nJWT_SIGNING_KEY=0123456789abcdef0123456789abcdef\nALLOWED_HOSTS=api.example.com\n'
seed envfile 'JWT_ALGORITHM=RS256\nJWT_PRIVATE_KEY_FILE=private.pem\nJWT_PUBLIC_KEY_FILE=public.pem\n'
seed envfile 'JWT_ALGORITHM=RS256\nJWT_PRIVATE_KEY_FILE=empty.pem\nJWT_PUBLIC_KEY_FILE=big.pem\n'
seed envfile 'JWT_ALGORITHM=RS256\nJWT_PRIVATE_KEY_FILE=/etc/passwd\n'
seed envfile 'JWT_ALGORITHM=ES256\n'
seed envfile 'DATABASE_URL=postgresql://u:p@h:5432/d\n'
seed envfile "DB_PASSWORD=it's a \\\\ secret\nDB_HOST= spaced \nDB_USER=\"quoted\"\n"
seed envfile 'ALLOWED_HOSTS=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,A,B,C,D,E,F,G\n'
seed envfile 'ALLOWED_HOSTS= , ,x, \nCORS_ALLOWED_ORIGINS=https://app.example.com,\n'
seed envfile 'MAX_BODY_BYTES=1023\nRATE_LIMIT_DEFAULT_PER_MINUTE=0\nTLS_RELOAD_SECONDS=86401\nLOG_LEVEL=warn\n'
seed envfile 'JWT_ACCESS_TOKEN_LIFETIME_MINUTES=9223372036854775808\nJWT_REFRESH_TOKEN_LIFETIME_DAYS=-1\n'
seed envfile 'AUTH_FAILURES_PER_MINUTE_IP=5\nAUTH_FAILURES_PER_MINUTE_ACCOUNT=x\n'
seed envfile '=value\n =\nexport =x\nA=1\0B=2\n'
# settings_load() refuses HS256 without a key before it reads the rest:
# the settings' own checks, each with a key.
K='JWT_SIGNING_KEY=fuzz-settings-key-0123456789abcdef\n'
seed envfile "${K}DB_HOST=h\nDB_PORT=1\nDB_LISTEN_PORT=2\n"
seed envfile "${K}DB_LISTEN_HOST=l\n"
seed envfile "${K}DATABASE_LISTEN_URL=postgresql://l/d\n"
seed envfile "${K}MAX_BODY_BYTES=1023\n"
seed envfile "${K}MAX_BODY_BYTES=8388608\nRATE_LIMIT_DEFAULT_PER_MINUTE=0\n"
seed envfile "${K}TLS_RELOAD_SECONDS=86401\n"
seed envfile "${K}LOG_LEVEL=debug\nLOG_FORMAT=json\n"
seed envfile "${K}LOG_LEVEL=WARNING\nLOG_FORMAT=xml\n"
seed envfile "${K}LOG_LEVEL=ERROR\n"
seed envfile "${K}LOG_LEVEL=loud\n"
seed envfile "${K}AUTH_FAILURES_PER_MINUTE_IP=5\nAUTH_FAILURES_PER_MINUTE_ACCOUNT=x\n"
seed envfile "${K}AUTH_FAILURES_PER_MINUTE_ACCOUNT_GLOBAL=0\n"
seed envfile "${K}AUTH_LOGINS_IN_FLIGHT_PER_IP=100001\n"
seed envfile "${K}AUTH_LOGINS_IN_FLIGHT_PER_WORKER=3\n"
seed envfile "${K}TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8,fd00::/8\n"
seed envfile "${K}TRUSTED_PROXIES=127.0.0.1,nope\n"
seed envfile "${K}TRUSTED_PROXIES=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,A,B,C,D,E,F,G\n"
seed envfile "${K}JWT_ACCESS_TOKEN_LIFETIME_MINUTES=0\n"
seed envfile "${K}DEBUG=False\nALLOWED_HOSTS=api.example.com\n"

# ---- hosts: the Host and Origin values of the unit tests ----
grep -ho '"[^"]*"' tests/unit/unit_hosts.c | sed 's/^"//; s/"$//' |
    c_strings | grep -v -E '\.h$|^[A-Z_]+$|%' | sort -u |
while IFS= read -r line; do
	seed_as_is hosts "$line"
done
seed hosts 'api.example.com:8000'
seed hosts 'x.tenants.example.org.'
seed hosts '[::1]:443'

# ---- proxies: the addresses and headers of the unit tests, as headers
# from a trusted peer, and as TRUSTED_PROXIES entries ----
grep -ho '"[^"]*"' tests/unit/unit_proxies.c | sed 's/^"//; s/"$//' |
    c_strings | grep -v -E '\.h$|^[A-Z_]+$|%' | sort -u |
while IFS= read -r line; do
	seed_as_is proxies "$line"
	seed_as_is proxies "$line
10.1.2.3
203.0.113.9"
done
seed proxies '127.0.0.1,10.0.0.0/8\n127.0.0.1\n198.51.100.7, 203.0.113.9'
seed proxies 'fd00::/8\nfd00::5\n2001:db8::1, [2001:db8::2]'
seed proxies '0.0.0.0/0,::/0\n192.0.2.1\n\t192.0.2.99\t'
seed proxies '127.0.0.1\n127.0.0.1'

for d in "$out"/*; do
	echo "seeds: $d: $(find "$d" -type f | wc -l) inputs"
done
