import type { Platform } from '../image/model.js';
import { formatPlatform } from '../image/model.js';
import { UsageError } from '../errors.js';

const NODE_ARCH_TO_OCI: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

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

export { formatPlatform };
