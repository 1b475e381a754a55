#!/bin/sh
# mkcerts.sh DIR: a throw-away PKI for the fake API server, made with openssl.
#
#   ca.crt ca.key              the test CA
#   server.crt server.key      signed by ca, SANs IP:127.0.0.1, DNS:localhost
#   client.crt client.key      signed by ca, CN=corral-test O=corral (the user, the group)
#   other-ca.crt other-ca.key  a second, unrelated CA (for wrong-CA tests)
#   other-client.crt .key      a client certificate signed by the unrelated CA
#
# Keys are EC P-256 (fast to make). Certificates are valid for a day. Nothing
# here is secret: the files live in a test's temporary directory.
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
days=2

newkey () {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

mkca () { # name CN
	newkey "$1.key"
	openssl req -x509 -new -key "$1.key" -sha256 -days "$days" -subj "/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$1.crt" 2>/dev/null
}

sign () { # name CA subject extfile-contents
	newkey "$1.key"
	openssl req -new -key "$1.key" -subj "$3" -out "$1.csr" 2>/dev/null
	printf '%s\n' "$4" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial \
		-days "$days" -sha256 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}

mkca ca "corral test CA"
mkca other-ca "unrelated test CA"
sign server ca "/CN=fake-apiserver" \
	"basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
sign client ca "/O=corral/CN=corral-test" \
	"basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
sign other-client other-ca "/O=corral/CN=intruder" \
	"basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
rm -f ./*.srl
