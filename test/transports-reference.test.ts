import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { hostPlatform, parsePlatform, parseReference } from '../src/transports/index.js';
import { normalizeTag } from '../src/transports/reference.js';

describe('parseReference', () => {
  it.each([
    ['docker-daemon:alpine:3.19', { transport: 'docker-daemon', name: 'alpine:3.19' }],
    ['docker-daemon:localhost:5000/team/app', { transport: 'docker-daemon', name: 'localhost:5000/team/app' }],
    ['alpine', { transport: 'docker-daemon', name: 'alpine' }],
    ['alpine:3.19', { transport: 'docker-daemon', name: 'alpine:3.19' }],
    ['localhost:5000/team/app:v2', { transport: 'docker-daemon', name: 'localhost:5000/team/app:v2' }],
    ['ghcr.io/org/app@sha256:' + 'a'.repeat(64), { transport: 'docker-daemon', name: 'ghcr.io/org/app@sha256:' + 'a'.repeat(64) }],
    ['sha256:' + 'b'.repeat(64), { transport: 'docker-daemon', name: 'sha256:' + 'b'.repeat(64) }],
    ['efd4719ec310', { transport: 'docker-daemon', name: 'efd4719ec310' }],
    ['docker:dind', { transport: 'docker-daemon', name: 'docker:dind' }],
    ['docker-archive:/tmp/app.tar', { transport: 'docker-archive', path: '/tmp/app.tar' }],
    ['docker-archive:app.tar:team/app:v2', { transport: 'docker-archive', path: 'app.tar', name: 'team/app:v2' }],
    ['oci:./layout', { transport: 'oci', path: './layout' }],
    ['oci:/srv/layout:1.0', { transport: 'oci', path: '/srv/layout', name: '1.0' }],
    ['oci-archive:img.tar:latest', { transport: 'oci-archive', path: 'img.tar', name: 'latest' }],
  ])('%s', (raw, expected) => {
    expect(parseReference(raw)).toEqual({ ...expected, raw });
  });

  it.each([
    ['docker://alpine', /registries \(docker:\/\/\) are not supported yet; use docker-daemon:, docker-archive:, oci:, oci-archive: or a bare image name/],
    ['dir:/tmp/x', /the dir: transport is not supported yet/],
    ['containers-storage:alpine', /the containers-storage: transport is not supported yet/],
    ['tar:/tmp/x.tar', /unknown transport "tar"/],
    ['https://example.com/x', /https:\/\/ is not a transport whittle knows/],
    ['docker-archive:', /docker-archive: needs a path/],
    ['docker-daemon:', /needs an image name or ID/],
    ['', /empty image reference/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseReference(raw)).toThrow(UsageError);
    expect(() => parseReference(raw)).toThrow(message);
  });
});

describe('tags and platforms', () => {
  it('adds :latest and checks the name', () => {
    expect(normalizeTag('app')).toBe('app:latest');
    expect(normalizeTag('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(normalizeTag('team/app:v1.2-slim')).toBe('team/app:v1.2-slim');
    expect(() => normalizeTag('App')).toThrow(UsageError);
    expect(() => normalizeTag('app:bad tag')).toThrow(UsageError);
  });

  it('parses platforms and knows the host', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(() => parsePlatform('arm64')).toThrow(UsageError);
    const expected = { x64: 'amd64', arm64: 'arm64' }[process.arch as 'x64' | 'arm64'];
    if (expected) expect(hostPlatform()).toEqual({ os: 'linux', architecture: expected });
  });
});
