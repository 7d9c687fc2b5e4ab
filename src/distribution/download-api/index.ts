/**
 * The HTTPS download API: bundle zips for Kubernetes-authenticated callers and signed links.
 * See docs/distribution.md for the paths, the link format and the RBAC a caller needs.
 */
export { startDownloadApi, type DownloadApi, type DownloadApiOptions } from './download-server.js';
export { DOWNLOAD_PERMISSION } from './caller-authorization.js';
export { downloadPath, linksPath, parseDownloadRoute, type BundleRef } from './download-routes.js';
export { DEFAULT_LINK_TTL_SECONDS, MAX_LINK_TTL_SECONDS, MIN_LINK_KEY_BYTES } from './signed-links.js';
