#!/bin/bash
# SPDX-License-Identifier: MIT
# Generate test certificates with the openssl CLI into DIR (PEM files):
# every key type, odd names (RFC 2253 specials, leading/trailing spaces,
# multi-valued RDNs, UTF-8/T61/BMP strings, IDN, unknown attribute OIDs),
# many SANs, IP SANs, emails, URIs, expired and not-yet-valid,
# GeneralizedTime, policies, AIA, pathlen, key usages, SCT-list extension.
# Used by parsers_x509_openssl_test (compares tlsmap with OpenSSL) and to
# seed the fuzz corpus. Deterministic in structure, not in keys.
set -euo pipefail
out=${1:?usage: x509_gen.sh DIR}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export OPENSSL_CONF=/dev/null

ossl() { openssl "$@" 2>/dev/null; }

# Keys
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out rsa4096.key
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -pkeyopt rsa_keygen_pubexp:3 -out rsae3.key
for c in P-256 P-384 P-521 secp256k1; do
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$c -out ec-$c.key
done
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 -out ec-bp256.key
ossl genpkey -algorithm ED25519 -out ed25519.key
ossl genpkey -algorithm ED448 -out ed448.key
ossl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out dsa.param
ossl genpkey -paramfile dsa.param -out dsa.key
ossl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out pss.key

# Self-signed, one per key type.
for k in rsa2048 rsa4096 rsae3 ec-P-256 ec-P-384 ec-P-521 ec-secp256k1 ec-bp256 ed25519 ed448 dsa pss; do
	ossl req -x509 -key $k.key -out "$out/key-$k.pem" -days 400 \
		-subj "/C=KZ/O=tlsmap test/CN=$k.example" \
		-addext "subjectAltName=DNS:$k.example"
done

# A CA for the extension-heavy leaves.
ossl req -x509 -key rsa2048.key -out ca.pem -days 3650 -subj "/C=US/O=tlsmap test CA/CN=Test Root" \
	-addext "basicConstraints=critical,CA:TRUE,pathlen:2" \
	-addext "keyUsage=critical,keyCertSign,cRLSign"
cp ca.pem "$out/ca-root.pem"

cat > ext.cnf <<'EOF'
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment,nonRepudiation,dataEncipherment,keyAgreement,encipherOnly,decipherOnly
extendedKeyUsage = serverAuth,clientAuth,codeSigning,emailProtection,timeStamping,OCSPSigning,1.2.3.4.5.6,msSGC,nsSGC
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
certificatePolicies = 2.23.140.1.2.1,1.3.6.1.4.1.44947.1.1.1,@cps
authorityInfoAccess = OCSP;URI:http://ocsp.example/,caIssuers;URI:http://ca.example/ca.crt,OCSP;URI:http://ocsp2.example/x?y=1
subjectAltName = @san
1.3.6.1.4.1.11129.2.4.2 = DER:0402AABB
[cps]
policyIdentifier = 1.2.3.4
CPS.1 = "http://cps.example/"
userNotice.1 = @notice
[notice]
explicitText = "UTF8:notice text"
organization = "Org"
noticeNumbers = 1,2
[san]
DNS.1 = www.example.com
DNS.2 = *.example.com
DNS.3 = xn--bcher-kva.example
IP.1 = 192.0.2.7
IP.2 = 2001:db8::1
IP.3 = ::ffff:198.51.100.1
IP.4 = fe80::1:2:3:4
email.1 = admin@example.com
email.2 = "weird\"mail@example.com"
URI.1 = https://example.com/path?q=1
URI.2 = urn:uuid:00000000-0000-0000-0000-000000000000
otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:upn@example.com
dirName.1 = dirsect
RID.1 = 1.2.3.4
[dirsect]
CN = dir name
[inter]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
[inter_nopath]
basicConstraints = CA:TRUE
[nobc]
keyUsage = digitalSignature
EOF

sign() { # sign KEY NAME SUBJ EXTSECTION [extra x509 args...]
	local key=$1 name=$2 subj=$3 sect=$4
	shift 4
	ossl req -new -key $key.key -subj "$subj" -out $name.csr "${REQ_ARGS[@]}"
	ossl x509 -req -in $name.csr -CA ca.pem -CAkey rsa2048.key -out "$out/$name.pem" \
		-extfile ext.cnf -extensions $sect "$@"
}
REQ_ARGS=()

sign ec-P-256 leaf-full "/C=US/ST=CA/L=Mountain View/O=Example, Inc./OU=Web/CN=www.example.com" leaf -days 90 -set_serial 0x00ff00ff00ff00ff00ff
sign rsa2048 inter-pathlen0 "/O=tlsmap/CN=Intermediate" inter -days 90 -set_serial 7
sign rsa2048 inter-nopath "/O=tlsmap/CN=Intermediate 2" inter_nopath -days 90 -set_serial 1
sign ec-P-384 leaf-nobc "/CN=no basic constraints" nobc -days 1 -set_serial 0
sign ec-P-384 leaf-negserial "/CN=negative serial" nobc -days 1 -set_serial -12345
sign ec-P-384 leaf-bigserial "/CN=big serial" nobc -days 1 -set_serial 0x7fffffffffffffffffffffffffffffffffffffff
sign ec-P-384 leaf-sha1 "/CN=sha1" nobc -days 1 -sha1
sign rsa2048 leaf-sha512 "/CN=sha512" nobc -days 1 -sha512

# Odd names.
REQ_ARGS=(-multivalue-rdn)
sign ec-P-256 name-specials '/CN= lead+UID=x/O=trail /OU=#hash/L=a\,b"c\\d<e>f;g=h/ST=#/street=x#y/title=  two  ' nobc -days 5
sign ec-P-256 name-multirdn '/DC=com/DC=example+DC=two/CN=a+CN=b+serialNumber=12' nobc -days 5
REQ_ARGS=(-utf8)
sign ec-P-256 name-utf8-default '/C=DE/O=Bücher & Söhne/CN=bücher.example/OU=Привет мир' nobc -days 5
REQ_ARGS=(-utf8 -config /dev/stdin)
printf '[req]\ndistinguished_name=dn\nstring_mask=utf8only\n[dn]\n' |
	sign ec-P-256 name-utf8only '/C=JP/O=日本語の組織/CN=例え.テスト/emailAddress=a@b.example/OU=😀 emoji' nobc -days 5
printf '[req]\ndistinguished_name=dn\nstring_mask=pkix\n[dn]\n' |
	sign ec-P-256 name-bmp '/CN=Привет/O=Ünïcödé/OU=plain' nobc -days 5
REQ_ARGS=(-config /dev/stdin)
printf '[req]\ndistinguished_name=dn\nstring_mask=nombstr\n[dn]\n' |
	sign ec-P-256 name-t61 $'/CN=caf\xe9 \x01ctl\x7f/O=M\xfcller/OU=\\#x' nobc -days 5
printf 'oid_section=oids\n[oids]\nmyattr=1.2.3.4.5\nbigattr=2.999.1234567890123\n[req]\ndistinguished_name=dn\n[dn]\n' |
	sign ec-P-256 name-unknown-oid '/CN=x/myattr=hello/bigattr=v' nobc -days 5
# OID arcs beyond 64 bits: printed exactly, as OpenSSL does,
# never cut to a shorter real OID (2.23.140.1.2.1.<huge> is not the DV
# policy 2.23.140.1.2.1). Policy, EKU and attribute type.
printf 'oid_section=oids\n[oids]\nhugeattr=2.5.4.123456789012345678901234567890\n[req]\ndistinguished_name=dn\n[dn]\n' |
	sign ec-P-256 oid-huge-attr '/CN=huge arc/hugeattr=v' nobc -days 5
cat >> ext.cnf <<'EOF2'
[hugearc]
basicConstraints = critical,CA:FALSE
certificatePolicies = 2.18446744073709551700.5,2.23.140.1.2.1.18446744073709551616,2.23.140.1.2.1.340282366920938463463374607431768211457,1.3.6.1.4.1.99999999999999999999999
extendedKeyUsage = serverAuth,1.3.6.1.5.5.7.3.1.18446744073709551615,1.3.6.1.5.5.7.3.98765432109876543210
EOF2
REQ_ARGS=()
sign ec-P-256 oid-huge-arcs '/CN=huge arcs' hugearc -days 5
long=$(printf 'L%.0s' $(seq 1 60))
sign ec-P-256 name-long "/CN=$long/O=$long/OU=$long/L=$long/ST=$long/street=$long/title=$long" nobc -days 5
sign ec-P-256 name-empty-cn "/CN=/O=empty cn" nobc -days 5
ossl req -new -key ec-P-256.key -subj "/" -out emptysub.csr && \
	ossl x509 -req -in emptysub.csr -CA ca.pem -CAkey rsa2048.key -out "$out/name-empty-subject.pem" \
		-extfile <(printf '[e]\nsubjectAltName=critical,DNS:empty-subject.example\n') -extensions e -days 5

# Many SANs (beyond X509_MAX_SAN) and many IPs.
{
	echo "[many]"
	printf 'subjectAltName = '
	for i in $(seq 1 150); do printf 'DNS:host%d.example.com,' "$i"; done
	for i in $(seq 1 40); do printf 'IP:198.18.%d.%d,' $((i / 200)) $((i % 200)); done
	echo 'IP:2001:db8:0:0:1:0:0:1,email:x@y.example'
} > many.cnf
ossl req -new -key ec-P-256.key -subj "/CN=many sans" -out many.csr
ossl x509 -req -in many.csr -CA ca.pem -CAkey rsa2048.key -out "$out/many-sans.pem" \
	-extfile many.cnf -extensions many -days 30

# Validity: expired, not yet valid, GeneralizedTime (after 2049), pre-1970.
mkdir -p db
: > db/index.txt
echo 1000 > db/serial
cat > ca.cnf <<EOF
[ca]
default_ca = c
[c]
database = db/index.txt
serial = db/serial
new_certs_dir = db
certificate = ca.pem
private_key = rsa2048.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[any]
commonName = supplied
EOF
ca_sign() { # ca_sign NAME START END
	ossl req -new -key ec-P-256.key -subj "/CN=$1.example" -out $1.csr \
		-addext "subjectAltName=DNS:$1.example"
	ossl ca -batch -config ca.cnf -in $1.csr -out $1.tmp -startdate $2 -enddate $3 -notext
	openssl x509 -in $1.tmp -out "$out/$1.pem"
}
ca_sign expired 20100101000000Z 20110101000000Z
ca_sign not-yet-valid 20400101000000Z 20410101000000Z
ca_sign gentime 20200101000000Z 20600229120000Z
ca_sign y2049 19500101000000Z 20491231235959Z
ca_sign leapday 20240229235959Z 20280229000000Z

# Two certificates in one file (the PEM reader must find both).
cat "$out/ca-root.pem" "$out/leaf-full.pem" > "$out/two-in-one.pem"
ls "$out" | wc -l
