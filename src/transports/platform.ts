import type { Platform } from '../image/model.js';
import { formatPlatform } from '../image/model.js';
import { UsageError } from '../errors.js';

const NODE_ARCH_TO_OCI: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips64el: 'mips64le' };

/** The platform this process runs on, in OCI terms (linux/amd64, linux/arm64, ...). */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: NODE_ARCH_TO_OCI[process.arch] ?? process.arch };
}

/** "linux/arm64/v8" -> Platform. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new UsageError(`bad platform ${JSON.stringify(text)}: expected os/arch[/variant], e.g. linux/amd64`);
  }
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) };
}

/** Variant is compared only when asked for. */
export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false;
  return want.os === have.os && want.architecture === have.architecture && (!want.variant || want.variant === have.variant);
}

/** Which image of an index to take: the platform asked for, or the host's by default. */
export interface PlatformChoice {
  platform: Platform;
  /** True when the user named the platform: then even a lone image must match it. */
  explicit: boolean;
}

export function platformChoice(platform: Platform | undefined): PlatformChoice {
  return platform ? { platform, explicit: true } : { platform: hostPlatform(), explicit: false };
}

export { formatPlatform };
