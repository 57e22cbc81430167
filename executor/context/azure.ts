// Azure Blob Storage contexts: `https://<account>.blob.core.windows.net/<container>/<blob>`
// (and the China, Germany and US Government clouds: kaniko's host rules), fetched with one GET
// signed with the account key (SharedKey), or a SAS token already in the URL. The key comes
// from AZURE_STORAGE_ACCESS_KEY (kaniko), AZURE_STORAGE_KEY, or AZURE_STORAGE_CONNECTION_STRING,
// whose BlobEndpoint (or UseDevelopmentStorage=true) also redirects requests, e.g. to azurite.
import { createHmac } from 'node:crypto';
import { KilnError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { displayUrl, httpGet } from './http-get.ts';
import { unpackContext } from './unpack.ts';

const API_VERSION = '2021-08-06';
const DEV_ACCOUNT = 'devstoreaccount1';
// Azurite's well-known development key (published by Microsoft), used only with UseDevelopmentStorage=true.
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzureTarget {
  account: string;
  /** The URL to GET (the connection string's endpoint applied). */
  url: URL;
  /** Base64 account key; undefined for a SAS URL. */
  key?: string;
}

/** Where to GET and how to sign, from the context URL and the environment. */
export function azureTarget(contextUrl: string, env: NodeJS.ProcessEnv): AzureTarget {
  const given = new URL(contextUrl);
  const account = given.hostname.split('.')[0] ?? '';
  const conn = parseConnectionString(env.AZURE_STORAGE_CONNECTION_STRING ?? '');
  const connAccount = conn.UseDevelopmentStorage === 'true' ? DEV_ACCOUNT : conn.AccountName;
  if (connAccount !== undefined && connAccount !== account) {
    throw new KilnError('E_CONTEXT', `fetching the build context ${displayUrl(contextUrl)}: AZURE_STORAGE_CONNECTION_STRING is for account "${connAccount}", not "${account}"`);
  }
  const endpoint = conn.BlobEndpoint ?? (conn.UseDevelopmentStorage === 'true' ? `http://127.0.0.1:10000/${DEV_ACCOUNT}` : undefined);
  const url = endpoint === undefined ? given : new URL(`${endpoint.replace(/\/+$/, '')}${given.pathname}${given.search}`);
  if (url.searchParams.has('sig')) return { account, url };
  const key = env.AZURE_STORAGE_ACCESS_KEY || env.AZURE_STORAGE_KEY || conn.AccountKey || (conn.UseDevelopmentStorage === 'true' ? DEV_KEY : '');
  if (key === '') {
    throw new KilnError('E_CONTEXT', `fetching the build context ${displayUrl(contextUrl)}: no Azure storage key given`, {
      hint: 'set AZURE_STORAGE_ACCESS_KEY (or AZURE_STORAGE_CONNECTION_STRING), or use a URL with a SAS token',
    });
  }
  return { account, url, key };
}

export function parseConnectionString(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

const STANDARD = ['content-encoding', 'content-language', 'content-length', 'content-md5', 'content-type', 'date', 'if-modified-since', 'if-match', 'if-none-match', 'if-unmodified-since', 'range'];

export interface SharedKeyRequest {
  method?: string;
  /** Lowercase header names; x-ms-* ones are signed as canonicalized headers. */
  headers?: Record<string, string>;
  date: Date;
}

/** The headers for a request signed with SharedKey (Blob service, version 2009-09-19 and later). */
export function sharedKeyHeaders(t: { account: string; url: URL; key: string }, r: SharedKeyRequest): Record<string, string> {
  const headers: Record<string, string> = { ...r.headers, 'x-ms-date': r.date.toUTCString(), 'x-ms-version': API_VERSION };
  const ms = Object.keys(headers).filter((k) => k.startsWith('x-ms-')).sort();
  const canonicalHeaders = ms.map((k) => `${k}:${String(headers[k]).trim()}\n`).join('');
  const params = [...new Set([...t.url.searchParams.keys()].map((k) => k.toLowerCase()))].sort();
  const query = params.map((k) => `\n${k}:${t.url.searchParams.getAll(k).sort().join(',')}`).join('');
  const resource = `/${t.account}${t.url.pathname}${query}`;
  const standard = STANDARD.map((k) => (k === 'content-length' && headers[k] === '0' ? '' : (headers[k] ?? '')));
  const stringToSign = [r.method ?? 'GET', ...standard, `${canonicalHeaders}${resource}`].join('\n');
  const signature = createHmac('sha256', Buffer.from(t.key, 'base64')).update(stringToSign, 'utf8').digest('base64');
  return { ...headers, authorization: `SharedKey ${t.account}:${signature}` };
}

export interface AzureContextOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

export async function fetchAzureContext(contextUrl: string, dir: string, o: AzureContextOptions): Promise<void> {
  const shown = displayUrl(contextUrl);
  const target = azureTarget(contextUrl, o.env);
  o.logger.info(`Retrieving the build context ${shown} from Azure Blob Storage`);
  const headers = target.key === undefined ? { 'x-ms-version': API_VERSION } : sharedKeyHeaders({ ...target, key: target.key }, { date: new Date() });
  const { body, close } = await httpGet(target.url.toString(), { env: o.env, headers, redirects: false, what: `the build context ${shown}` });
  try {
    await unpackContext(body, dir, { what: shown, logger: o.logger });
  } finally {
    await close();
  }
}
