/** A bearer subject confirmation (SAML 2.0 §2.4.1.2 / SAML 1.1 §2.4.2.3). */
export interface BearerConfirmation {
  readonly recipient: string | undefined;
  readonly notBefore: Date | undefined;
  readonly notOnOrAfter: Date | undefined;
  readonly inResponseTo: string | undefined;
}

/**
 * What a SAML assertion (2.0 or 1.1) says, read from the signed bytes only.
 */
export interface AssertionContent {
  readonly version: '2.0' | '1.1';
  readonly id: string;
  readonly issuer: string;
  readonly issueInstant: Date | undefined;
  readonly subject: string | undefined;
  readonly subjectFormat: string | undefined;
  readonly bearerConfirmations: readonly BearerConfirmation[];
  readonly notBefore: Date | undefined;
  readonly notOnOrAfter: Date | undefined;
  /** One group per AudienceRestriction; each must name an accepted audience. */
  readonly audienceGroups: ReadonlyArray<readonly string[]>;
  readonly claims: Readonly<Record<string, readonly string[]>>;
  readonly sessionIndex: string | undefined;
}
