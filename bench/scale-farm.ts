// The loopback metadata farm of `npm run bench -- scale`: one HTTP server on
// 127.0.0.1 publishing a distinct WS-Federation metadata document for each of
// N issuers, each with 2–3 signing certificates taken from a pool made once
// per run (generating an RSA key pair per certificate would take minutes for
// thousands of issuers; certificates sharing a key pair still have distinct
// thumbprints). Conditional GET with ETag; every request is counted.
import 'reflect-metadata';
import { createHash, createPrivateKey, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as x509 from '@peculiar/x509';
import { buildFederationMetadata } from '../test/helpers/federation-metadata.js';
import type { TestCertificate } from '../test/helpers/certificates.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const RSA_2048: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

/**
 * `count` distinct self-signed RSA-2048 certificates with their private
 * keys, sharing `keyPairs` key pairs (each its own subject, serial and
 * thumbprint).
 */
export async function createCertificatePool(count: number, keyPairs: number): Promise<TestCertificate[]> {
  const pairs = await Promise.all(
    Array.from({ length: Math.min(count, keyPairs) }, () =>
      webcrypto.subtle.generateKey(RSA_2048, true, ['sign', 'verify']),
    ),
  );
  const privateKeys = await Promise.all(
    pairs.map(async (pair) =>
      createPrivateKey({
        key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey)),
        format: 'der',
        type: 'pkcs8',
      }),
    ),
  );
  const pool: TestCertificate[] = [];
  for (let index = 0; index < count; index += 1) {
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: `03${index.toString(16).padStart(8, '0')}`,
      name: `CN=scale bench signing key ${index}`,
      notBefore: new Date('2024-01-01T00:00:00Z'),
      notAfter: new Date('2034-01-01T00:00:00Z'),
      keys: pairs[index % pairs.length]!,
      signingAlgorithm: RSA_2048,
    });
    const der = Buffer.from(certificate.rawData);
    const privateKey = privateKeys[index % privateKeys.length]!;
    pool.push({
      der,
      pem: new NodeX509(der).toString(),
      base64: der.toString('base64'),
      privateKey,
      privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    });
  }
  return pool;
}

/** A GUID derived from the issuer's index: the tenant of its `https://sts.windows.net/<tenant>/`. */
export function farmTenant(index: number): string {
  const hex = createHash('sha256').update(`scale-tenant-${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The pool indexes of issuer `index`'s certificates: 3 for even issuers, 2
 * for odd ones, spread with a stride that changes every pool length, so
 * that neighbouring issuers publish different sets.
 */
export function farmCertificateIndexes(index: number, poolSize: number): number[] {
  const stride = 1 + (Math.floor(index / poolSize) % Math.max(1, poolSize - 1));
  const wanted = index % 2 === 0 ? 3 : 2;
  const chosen: number[] = [];
  for (let step = 0; chosen.length < Math.min(wanted, poolSize) && step < poolSize; step += 1) {
    const candidate = (index + step * stride) % poolSize;
    if (!chosen.includes(candidate)) chosen.push(candidate);
  }
  return chosen;
}

export interface FarmIssuer {
  readonly name: string;
  readonly issuerUri: string;
  readonly tenantId: string;
  readonly metadataUrl: string;
  /** Pool indexes of the certificates its metadata publishes. */
  readonly certificates: readonly number[];
}

/** The WS-Federation passive endpoint an issuer's metadata publishes (never fetched: sign-ins post straight back). */
export function farmLoginUrl(issuer: Pick<FarmIssuer, 'tenantId'>): string {
  return `https://login.bench.test/${issuer.tenantId}/wsfed`;
}

export interface MetadataFarm {
  readonly issuers: readonly FarmIssuer[];
  /** Metadata requests received so far, and those answered 304. */
  counts(): { requests: number; notModified: number };
  close(): Promise<void>;
}

/** Starts the farm on 127.0.0.1 (port 0) for `count` issuers whose keys come from `pool`. */
export async function startMetadataFarm(
  count: number,
  pool: readonly TestCertificate[],
): Promise<MetadataFarm> {
  let requests = 0;
  let notModified = 0;
  const sockets = new Set<Socket>();
  const issuerAt = (index: number, base: string): FarmIssuer => {
    const tenantId = farmTenant(index);
    return {
      name: `scale-${index}`,
      issuerUri: `https://sts.windows.net/${tenantId}/`,
      tenantId,
      metadataUrl: `${base}/${index}/federationmetadata/2007-06/federationmetadata.xml`,
      certificates: farmCertificateIndexes(index, pool.length),
    };
  };
  const documentOf = (issuer: FarmIssuer): string =>
    buildFederationMetadata({
      entityId: issuer.issuerUri,
      signingCertificates: issuer.certificates.map((certificate) => pool[certificate]!.base64),
      passiveEndpoint: farmLoginUrl(issuer),
    });

  let issuers: FarmIssuer[] = [];
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    requests += 1;
    const index = Number(/^\/(\d+)\//.exec(request.url ?? '')?.[1] ?? Number.NaN);
    const issuer = Number.isInteger(index) ? issuers[index] : undefined;
    if (issuer === undefined) {
      response.writeHead(404).end();
      return;
    }
    // Built on each request: 10,000 documents of ~10 KB need not stay in memory.
    const body = documentOf(issuer);
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    if (request.headers['if-none-match'] === etag) {
      notModified += 1;
      response.writeHead(304, { etag }).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/samlmetadata+xml', etag }).end(body);
  };
  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuers = Array.from({ length: count }, (_, index) => issuerAt(index, base));
  return {
    issuers,
    counts: () => ({ requests, notModified }),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
