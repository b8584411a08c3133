import { AMAZON_TRUST_SERVICES_ROOT_CAS } from './amazon-trust-services';

/** The port of the XKS API (HTTPS, optionally mutual TLS) in the container. */
export const XKS_API_PORT = 8443;
/** The plain-HTTP health endpoint of the proxy, for the load balancer only. */
export const XKS_HEALTH_PORT = 8080;
export const XKS_HEALTH_PATH = '/healthz';

/** Environment variables through which the container receives its configuration and secrets. */
export const PROXY_ENV = {
  config: 'XKS_PROXY_CONFIG_JSON',
  accessKeyId: 'XKS_ACCESS_KEY_ID',
  secretAccessKey: 'XKS_SECRET_ACCESS_KEY',
  hsmPin: 'XKS_HSM_PIN',
  tlsCertificate: 'XKS_TLS_CERTIFICATE',
  tlsPrivateKey: 'XKS_TLS_PRIVATE_KEY',
};

/** The choices that shape the proxy configuration. */
export interface ProxyConfigOptions {
  readonly uriPathPrefix: string;
  /** The KMS Region (SigV4 scope and mTLS client name); may be a token. */
  readonly region: string;
  readonly fleetSize: number;
  readonly externalKeyIds: string[];
  readonly mutualTls: boolean;
  readonly pkcs11Library: string;
  readonly tokenLabel: string;
  readonly healthKeyLabel: string;
}

/**
 * The proxy configuration document (the contract in lambda/xks-proxy/CONFIG.md). Every secret is an
 * `{ env }` reference to a variable that ECS fills from Secrets Manager, so the document itself
 * holds nothing secret.
 */
export function proxyConfigDocument(options: ProxyConfigOptions): object {
  const clientAuth = {
    caCertificates: AMAZON_TRUST_SERVICES_ROOT_CAS,
    allowedCommonNames: [`cks.kms.${options.region}.amazonaws.com`],
  };
  return {
    server: {
      port: XKS_API_PORT,
      tls: {
        certificate: { env: PROXY_ENV.tlsCertificate },
        privateKey: { env: PROXY_ENV.tlsPrivateKey },
        ...(options.mutualTls ? { clientAuth } : {}),
      },
    },
    healthCheck: { port: XKS_HEALTH_PORT, path: XKS_HEALTH_PATH },
    pkcs11: {
      library: options.pkcs11Library,
      tokenLabel: options.tokenLabel,
      pin: { env: PROXY_ENV.hsmPin },
      healthKeyLabel: options.healthKeyLabel,
    },
    proxy: { fleetSize: options.fleetSize },
    keyStores: [{
      uriPathPrefix: options.uriPathPrefix,
      region: options.region,
      credentials: [{ accessKeyId: { env: PROXY_ENV.accessKeyId }, secretAccessKey: { env: PROXY_ENV.secretAccessKey } }],
      keys: options.externalKeyIds,
    }],
  };
}
