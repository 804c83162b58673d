// X.509 building for the forward-proxy CA: a self-signed CA certificate whose name constraints (RFC 5280
// §4.2.1.10) permit only the intercepted host names and exclude every IP address, and short-lived leaf
// certificates for one host each. Pure apart from randomness: keys come in, DER/PEM goes out.
//
// Library choice: @peculiar/asn1-x509 (+ @peculiar/asn1-schema) — maintained typed ASN.1 schemas of RFC 5280,
// including NameConstraints/GeneralSubtrees, with DER in and out. Keys and signatures come from node:crypto
// (OpenSSL): ECDSA P-256 key pairs in ~1 ms and a leaf signature in well under 1 ms, no JavaScript crypto.
// Not @peculiar/x509 (no name-constraints helper, and its dependency injection needs a global Reflect
// polyfill), not node-forge (no name-constraints support, RSA-only signing in JavaScript: seconds per key).
import { createHash, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  NameConstraints,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_nameConstraints,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_serverAuth,
} from '@peculiar/asn1-x509';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
/** Both address families, whole ranges: a CA that may not vouch for any IP address. */
const EXCLUDED_IP_RANGES = ['0.0.0.0/0', '::/0'];

export interface CaSpec {
  /** Host names the CA may issue for (each also covers its subdomains, per RFC 5280). */
  hosts: readonly string[];
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}

export interface LeafSpec {
  host: string;
  notBefore: Date;
  notAfter: Date;
}

function name(commonName: string): Name {
  const attr = (type: string, value: string): RelativeDistinguishedName =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) }),
    ]);
  return new Name([attr(OID_ORGANIZATION, 'LunaRoute'), attr(OID_COMMON_NAME, commonName)]);
}

function extension(id: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** A positive 128-bit serial (RFC 5280 allows up to 20 octets; the top bit cleared keeps it positive). */
function serialNumber(): ArrayBuffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return new Uint8Array(bytes).buffer;
}

/** SHA-1 of the subject public key bits: the key identifier method of RFC 5280 §4.2.1.2 (1). */
export function keyIdentifier(publicKey: KeyObject): ArrayBuffer {
  const spki = AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  return new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest()).buffer;
}

function signCertificate(tbs: TBSCertificate, issuerKey: KeyObject): Buffer {
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign('sha256', tbsDer, { key: issuerKey, dsaEncoding: 'der' });
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
    signatureValue: new Uint8Array(signature).buffer,
  });
  return Buffer.from(AsnConvert.serialize(cert));
}

function tbsBase(
  subject: Name,
  issuer: Name,
  publicKey: KeyObject,
  notBefore: Date,
  notAfter: Date,
  extensions: Extension[],
): TBSCertificate {
  return new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
    issuer,
    validity: new Validity({ notBefore, notAfter }),
    subject,
    subjectPublicKeyInfo: AsnConvert.parse(
      publicKey.export({ type: 'spki', format: 'der' }),
      SubjectPublicKeyInfo,
    ),
    extensions: new Extensions(extensions),
  });
}

/** The self-signed CA certificate (DER) for `keyPair`, constrained to `spec.hosts`. */
export function buildCaCertificate(spec: CaSpec, privateKey: KeyObject): Buffer {
  if (spec.hosts.length === 0) throw new Error('a forward-proxy CA needs at least one host to intercept');
  const publicKey = createPublicKey(privateKey);
  const subject = name(spec.commonName);
  const subtree = (base: GeneralName): GeneralSubtree => new GeneralSubtree({ base });
  const constraints = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees(spec.hosts.map((h) => subtree(new GeneralName({ dNSName: h })))),
    excludedSubtrees: new GeneralSubtrees(
      EXCLUDED_IP_RANGES.map((r) => subtree(new GeneralName({ iPAddress: r }))),
    ),
  });
  const tbs = tbsBase(subject, subject, publicKey, spec.notBefore, spec.notAfter, [
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
    extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
    extension(id_ce_nameConstraints, true, constraints),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(publicKey))),
  ]);
  return signCertificate(tbs, privateKey);
}

/** A server certificate (DER) for one host, signed by the CA. */
export function buildLeafCertificate(
  spec: LeafSpec,
  leafPublicKey: KeyObject,
  caSubject: Name,
  caKey: KeyObject,
): Buffer {
  const caPublic = createPublicKey(caKey);
  const tbs = tbsBase(name(spec.host), caSubject, leafPublicKey, spec.notBefore, spec.notAfter, [
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
    extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
    extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_serverAuth])),
    extension(
      id_ce_subjectAltName,
      false,
      new SubjectAlternativeName([new GeneralName({ dNSName: spec.host })]),
    ),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(leafPublicKey))),
    extension(
      id_ce_authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(caPublic)) }),
    ),
  ]);
  return signCertificate(tbs, caKey);
}

/** The subject Name of a DER certificate (the issuer of the leaves it signs). */
export function subjectOf(certDer: Uint8Array): Name {
  return AsnConvert.parse(certDer, Certificate).tbsCertificate.subject;
}

/** The dNSName entries a CA certificate's name constraints permit (empty when it has none). */
export function permittedHosts(certDer: Uint8Array): string[] {
  const ext = AsnConvert.parse(certDer, Certificate).tbsCertificate.extensions?.find(
    (e) => e.extnID === id_ce_nameConstraints,
  );
  if (!ext) return [];
  const nc = AsnConvert.parse(ext.extnValue.buffer, NameConstraints);
  return (nc.permittedSubtrees ?? []).flatMap((s) => (s.base.dNSName ? [s.base.dNSName] : []));
}

export function toPem(label: 'CERTIFICATE', der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
}
