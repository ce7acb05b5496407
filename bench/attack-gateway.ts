// The gateway `npm run bench -- attack` attacks, in a process of its own so
// that the attackers' and the probe's work does not share its event loop: the
// IdP simulator, a temporary SQLite store and the gateway on 127.0.0.1 (the
// harness of the live tests). It reports its URLs when it listens and its CPU
// time when asked, and closes everything on SIGTERM or when its parent goes.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startLiveGateway } from '../test/helpers/live-gateway.js';

async function main(): Promise<void> {
  const flags = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
  const gateway = await startLiveGateway({ flags });
  let closing = false;
  const close = (): void => {
    if (closing) return;
    closing = true;
    void gateway.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', close);
  process.on('disconnect', close);
  // How long the event loop was held, as the gateway itself sees it (10 ms resolution).
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('message', (message: unknown) => {
    if (message !== 'cpu') return;
    process.send?.({
      cpu: process.cpuUsage(),
      loopDelayMs: {
        p50: delay.percentile(50) / 1e6,
        p99: delay.percentile(99) / 1e6,
        max: delay.max / 1e6,
      },
    });
    delay.reset();
  });
  process.send?.({
    ready: true,
    gatewayUrl: gateway.gatewayUrl,
    maxTokenBytes: gateway.config.validation.maxTokenBytes,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
