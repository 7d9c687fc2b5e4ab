import winston from 'winston';
import { InvalidInputError } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import { redactField } from './redaction.js';

export type Logger = winston.Logger;

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: string;
  clock?: Clock;
  /** Where JSON lines go; standard output unless a test captures them. */
  destination?: NodeJS.WritableStream;
  /** Fields on every line, e.g. `{ component: 'operator' }`. */
  base?: Record<string, unknown>;
}

/** Every field of every line, message and stack included, passes through redaction. */
const redaction = winston.format((info) => {
  for (const name of Object.keys(info)) {
    if (name === 'level') continue;
    info[name] = redactField(name, info[name]);
  }
  return info;
});

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidInputError(
      'InvalidLogLevel',
      `log level "${level}" is not supported: use one of ${LOG_LEVELS.join(', ')}`,
      'logLevel',
    );
  }
  const clock = options.clock ?? systemClock;
  return winston.createLogger({
    level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    defaultMeta: options.base,
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      redaction(),
      winston.format.timestamp({ format: () => clock.now().toISOString() }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Stream({ stream: options.destination ?? process.stdout })],
  });
}

/** Which object a reconcile is about; every line it logs carries these fields. */
export interface ReconcileContext {
  controller: string;
  namespace?: string;
  name: string;
  reconcileId?: string;
}

export function reconcileLogger(parent: Logger, context: ReconcileContext): Logger {
  return parent.child({ ...context });
}
