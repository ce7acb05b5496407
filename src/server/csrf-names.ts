/**
 * Where a CSRF token travels: the admin pages, the admin API, the sample
 * page's sign-out form and the gateway's own forms all use these names.
 */

/** The form field that carries the CSRF token. */
export const CSRF_FIELD = '_csrf';
/** The request header that carries the CSRF token on API calls. */
export const CSRF_HEADER = 'x-csrf-token';
