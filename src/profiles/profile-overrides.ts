import { UsageError } from '../errors.js';
import type { Profile } from './profile.js';

/** The profile sections a `--set SECTION.KEY=VALUE` may change. */
const SECTIONS = ['essentials', 'node', 'python', 'java'] as const;
type Section = (typeof SECTIONS)[number];

/**
 * Applies `--set node.dropSourceMaps=true`-style overrides to a loaded profile. The value takes
 * the type of the setting it replaces (boolean, or a comma-separated list), so a typo is an
 * error here rather than a surprise later.
 */
export function applyProfileOverrides(profile: Profile, assignments: readonly string[]): Profile {
  let out = profile;
  for (const a of assignments) {
    const m = /^([a-z]+)\.([A-Za-z]+)=(.*)$/.exec(a);
    if (!m) throw new UsageError(`--set ${a}: expected SECTION.KEY=VALUE, e.g. node.dropSourceMaps=true`);
    const [, section, key, raw] = m as unknown as [string, string, string, string];
    if (!(SECTIONS as readonly string[]).includes(section)) throw new UsageError(`--set ${a}: ${section} is not one of ${SECTIONS.join(', ')}`);
    const current = out[section as Section] as unknown as Record<string, unknown>;
    if (!(key in current)) throw new UsageError(`--set ${a}: ${section} has no setting ${key} (it has ${Object.keys(current).join(', ')})`);
    let value: unknown;
    if (typeof current[key] === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new UsageError(`--set ${a}: ${section}.${key} is true or false`);
      value = raw === 'true';
    } else if (Array.isArray(current[key])) {
      value = raw === '' ? [] : raw.split(',');
    } else {
      value = raw;
    }
    out = { ...out, [section]: { ...current, [key]: value } };
  }
  return out;
}
