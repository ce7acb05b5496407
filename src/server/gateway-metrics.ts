import type { ErrorCode } from '../lib/error-codes.js';
import type { SignInProtocol } from '../session/sign-in-state.js';

/** What the gateway counts for `/metrics`, beyond the rollover engine's own figures. */
export interface GatewayMetrics {
  /** One sign-in callback's outcome: a validated token and a session, or a refusal with its code. */
  recordSignIn(protocol: SignInProtocol, outcome: 'success' | 'failure', code?: ErrorCode): void;
}

/** Counts sign-ins in memory. */
export function createGatewayMetrics(): GatewayMetrics & {
  readonly signIns: ReadonlyMap<string, number>;
} {
  const signIns = new Map<string, number>();
  return {
    signIns,
    recordSignIn(protocol, outcome, code): void {
      const key = `${protocol} ${outcome} ${code ?? ''}`.trim();
      signIns.set(key, (signIns.get(key) ?? 0) + 1);
    },
  };
}
