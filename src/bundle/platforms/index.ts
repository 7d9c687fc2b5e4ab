import { platform as cpp } from './cpp.js';
import { platform as cqlsh } from './cqlsh.js';
import { platform as csharp } from './csharp.js';
import { platform as dsbulk } from './dsbulk.js';
import { platform as goGocql } from './go-gocql.js';
import { platform as javaDriver4 } from './java-driver-4.js';
import { platform as kafkaConnect } from './kafka-connect.js';
import { platform as nodejs } from './nodejs.js';
import type { Platform, PlatformId } from './platform.js';
import { PLATFORM_IDS } from './platform.js';
import { platform as python } from './python.js';
import { platform as quarkus } from './quarkus.js';
import { platform as rust } from './rust.js';
import { platform as spark } from './spark.js';
import { platform as springBoot } from './spring-boot.js';

/**
 * Every platform module, in PLATFORM_IDS order. Each module `./<id>.ts` exports
 * `platform: Platform` with that id.
 */
const byId: Readonly<Record<PlatformId, Platform>> = {
  'java-driver-4': javaDriver4,
  python,
  nodejs,
  'go-gocql': goGocql,
  csharp,
  cpp,
  rust,
  cqlsh,
  spark,
  dsbulk,
  'spring-boot': springBoot,
  quarkus,
  'kafka-connect': kafkaConnect,
};

export const PLATFORMS: readonly Platform[] = PLATFORM_IDS.map((id) => byId[id]);

export function platformById(id: PlatformId): Platform {
  return byId[id];
}
