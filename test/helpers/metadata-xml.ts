import { execFileSync, spawnSync } from 'node:child_process';

/** Namespace declarations for hand-written metadata documents. */
export const MD_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const FED_NS = 'http://docs.oasis-open.org/wsfed/federation/200706';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const WSA_NS = 'http://www.w3.org/2005/08/addressing';

/** A `md:KeyDescriptor` holding one certificate (base64 text as written), with an optional `use`. */
export function keyDescriptor(certificateBase64: string, use?: string): string {
  const useAttribute = use === undefined ? '' : ` use="${use}"`;
  return `<md:KeyDescriptor${useAttribute}><ds:KeyInfo xmlns:ds="${DS_NS}"><ds:X509Data><ds:X509Certificate>${certificateBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
}

/** A WS-Federation STS role, with `prefix` bound to the federation namespace (or to `namespace`). */
export function stsRole(
  body: string,
  options: { prefix?: string; namespace?: string; localName?: string } = {},
): string {
  const prefix = options.prefix ?? 'fed';
  return `<md:RoleDescriptor xmlns:xsi="${XSI_NS}" xmlns:${prefix}="${options.namespace ?? FED_NS}" xsi:type="${prefix}:${options.localName ?? 'SecurityTokenServiceType'}" protocolSupportEnumeration="${FED_NS}">${body}</md:RoleDescriptor>`;
}

/** A `fed:PassiveRequestorEndpoint` (or another WS-Fed endpoint element) with one wsa:Address. */
export function wsfedEndpoint(url: string, localName = 'PassiveRequestorEndpoint'): string {
  return `<fed:${localName} xmlns:fed="${FED_NS}"><wsa:EndpointReference xmlns:wsa="${WSA_NS}"><wsa:Address>${url}</wsa:Address></wsa:EndpointReference></fed:${localName}>`;
}

/** An `md:EntityDescriptor` with the given attributes (entityID first) and children. */
export function entityDescriptor(
  entityId: string | undefined,
  body: string,
  attributes: Record<string, string> = {},
  declareNamespace = true,
): string {
  const attrs = Object.entries(entityId === undefined ? attributes : { entityID: entityId, ...attributes })
    .map(([name, value]) => ` ${name}="${value}"`)
    .join('');
  const ns = declareNamespace ? ` xmlns:md="${MD_NS}"` : '';
  return `<md:EntityDescriptor${ns}${attrs}>${body}</md:EntityDescriptor>`;
}

/** An `md:EntitiesDescriptor` around the given children. */
export function entitiesDescriptor(
  body: string,
  attributes: Record<string, string> = {},
  declareNamespace = true,
): string {
  const attrs = Object.entries(attributes)
    .map(([name, value]) => ` ${name}="${value}"`)
    .join('');
  const ns = declareNamespace ? ` xmlns:md="${MD_NS}"` : '';
  return `<md:EntitiesDescriptor${ns}${attrs}>${body}</md:EntitiesDescriptor>`;
}

/** Whether the openssl command is there to compute thumbprints independently of the code under test. */
export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** The SHA-1 thumbprint of a DER certificate, uppercase hex, as computed by `openssl x509 -fingerprint`. */
export function opensslSha1(der: Uint8Array): string {
  const output = execFileSync('openssl', ['x509', '-inform', 'der', '-noout', '-fingerprint', '-sha1'], {
    input: der,
  }).toString('utf8');
  const match = /Fingerprint=([0-9A-F:]+)/i.exec(output);
  if (match === null) throw new Error(`Unexpected openssl output: ${output}`);
  return match[1]!.replaceAll(':', '').toUpperCase();
}

/** The base64 certificates of the `<KeyDescriptor use="…">` blocks of a metadata text, read by regex. */
export function certificatesByUse(xml: string, use: string): string[] {
  const blocks = xml.matchAll(
    new RegExp(`<(?:\\w+:)?KeyDescriptor use="${use}">([\\s\\S]*?)</(?:\\w+:)?KeyDescriptor>`, 'g'),
  );
  const certificates: string[] = [];
  for (const [, block] of blocks) {
    for (const [, text] of (block ?? '').matchAll(/<(?:\w+:)?X509Certificate>([^<]+)</g)) {
      certificates.push(text!.replace(/\s+/g, ''));
    }
  }
  return certificates;
}
