/** Importing an issuer from its metadata: preview the diff, then apply it. */
import {
  ImportApplyRequestSchema,
  ImportPreviewSchema,
  ImportRequestSchema,
  ImportResultSchema,
} from '../openapi-schemas.js';
import { answers200, type AdminApi, type AdminApiContext } from './admin-api-context.js';

export function registerImportRoutes(api: AdminApi, { service, callerOf }: AdminApiContext): void {
  api.post(
    '/import/preview',
    {
      schema: {
        operationId: 'previewImport',
        summary: 'Fetches and checks metadata and returns what an import would change. Stores nothing.',
        tags: ['import'],
        errorStatuses: [404, 409, 422, 503],
        body: ImportRequestSchema,
        response: answers200(ImportPreviewSchema),
      },
    },
    async (request) => service.previewImport(request.body),
  );

  api.post(
    '/import/apply',
    {
      schema: {
        operationId: 'applyImport',
        summary:
          'Applies a previewed import: refuses (409) when the document changed since the preview, else creates or updates the issuer and refreshes it.',
        tags: ['import'],
        errorStatuses: [404, 409, 422, 503],
        body: ImportApplyRequestSchema,
        response: answers200(ImportResultSchema),
      },
    },
    async (request) => service.applyImport(request.body, callerOf(request).actor),
  );
}
