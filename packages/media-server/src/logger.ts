/** The logging surface the media server needs; a pino logger satisfies it. */
export interface Logger {
  child(bindings: Record<string, unknown>): Logger;
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  isLevelEnabled(level: string): boolean;
}

const noop = (): void => undefined;

/** Default logger: discards everything. */
export const silentLogger: Logger = {
  child: () => silentLogger,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  isLevelEnabled: () => false,
};
