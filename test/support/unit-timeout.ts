/**
 * The unit project's per-test timeout (Jest ignores `testTimeout` inside a project; a setup file
 * is the per-project way). A timeout detects a hang, it is not a performance budget (those are
 * measured in bench/): on a busy 2-core CI machine an RSA key, a TLS handshake or a promtool run
 * can take many times the 5 s default. Files that need more set their own.
 */
import { jest } from '@jest/globals';

jest.setTimeout(60_000);
