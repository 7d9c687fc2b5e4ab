/**
 * The OCI package-repository channel (spec.target.ociRepository): every version pushed to a
 * registry as an encrypted artifact with its signature as a referrer, tags v<N> and latest, old
 * tags cleaned by policy; and the pull side scbctl uses. See docs/oci.md.
 */
export { OCI_REPOSITORY_CONDITION, OciRepositorySync, type OciSyncResult } from './oci-sync.js';
