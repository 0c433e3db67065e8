import type { Platform } from '../image/model.js';
import { parsePlatform } from '../transports/index.js';

export interface GlobalOptions {
  platform?: string;
  quiet?: boolean;
}

export function platformOption(opts: GlobalOptions): Platform | undefined {
  return opts.platform ? parsePlatform(opts.platform) : undefined;
}
