/** The tools: the thumbprint calculator and health. */
import { inspectThumbprintInput } from '../../management/service.js';
import { HealthSchema, ThumbprintRequestSchema, ThumbprintResultSchema } from '../openapi-schemas.js';
import { answers200, type AdminApi, type AdminApiContext } from './admin-api-context.js';

export function registerToolRoutes(api: AdminApi, { service }: AdminApiContext): void {
  api.post(
    '/thumbprint',
    {
      schema: {
        operationId: 'computeThumbprints',
        summary:
          'Thumbprint calculator: every certificate in pasted text or in the metadata at a URL (SHA-1 and SHA-256), or a pasted thumbprint normalised.',
        tags: ['tools'],
        errorStatuses: [422],
        body: ThumbprintRequestSchema,
        response: answers200(ThumbprintResultSchema),
      },
    },
    async (request) => {
      // The schema admits exactly one of the three properties.
      const { thumbprint, metadataUrl, text } = request.body;
      if (thumbprint !== undefined) {
        return {
          source: 'thumbprint',
          documentSha256: null,
          certificates: [],
          thumbprintInput: inspectThumbprintInput(thumbprint),
        };
      }
      const result =
        metadataUrl !== undefined
          ? await service.thumbprintsFromUrl(metadataUrl)
          : service.thumbprintsFromText(text ?? '');
      return { ...result, thumbprintInput: null };
    },
  );

  api.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Store reachability, engine counters, and per issuer the last good refresh and alerts.',
        tags: ['tools'],
        response: answers200(HealthSchema),
      },
    },
    async () => service.health(),
  );
}
