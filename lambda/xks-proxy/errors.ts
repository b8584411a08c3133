/** The error names of the XKS Proxy API specification with their HTTP status codes. */
export const XKS_ERROR_STATUS = {
  ValidationException: 400,
  InvalidStateException: 400,
  InvalidCiphertextException: 400,
  InvalidKeyUsageException: 400,
  AuthenticationFailedException: 401,
  AccessDeniedException: 403,
  KeyNotFoundException: 404,
  InvalidUriPathException: 404,
  ThrottlingException: 429,
  InternalException: 500,
  UnsupportedOperationException: 501,
  DependencyTimeoutException: 503,
} as const;

export type XksErrorName = keyof typeof XKS_ERROR_STATUS;

/** An error answered to the caller as `{ errorName, errorMessage }` with the spec's status code. */
export class XksError extends Error {
  public readonly status: number;

  constructor(public readonly errorName: XksErrorName, message: string, status?: number) {
    super(message);
    this.status = status ?? XKS_ERROR_STATUS[errorName];
  }

  /** The response body; the spec wants printable ASCII under 512 characters. */
  public toBody(): { errorName: string; errorMessage: string } {
    const errorMessage = this.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 500);
    return { errorName: this.errorName, errorMessage };
  }
}
