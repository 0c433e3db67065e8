#!/usr/bin/env node
// npm run bench: whittle's speed, memory and output size, each against a baseline measured in
// the same run on the same machine. Writes bench/results.json and bench/results.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SPEED_FIXTURES = ['static-go', 'cgo-go', 'cpp-runpath', 'node-api'];
const SIZE_FIXTURES = ['node-api', 'node-pnpm', 'node-yarn', 'python-flask', 'java-http', 'static-go', 'cgo-go', 'cpp-runpath', 'pthread-cancel', 'musl', 'entrypoint-script', 'nonroot'];
const MEMORY_FIXTURES = ['bench-500m', 'bench-1500m'];
const tmp = mkdtempSync(join(tmpdir(), 'whittle-bench-'));

const sh = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
};
const docker = (...args) => sh('docker', args).trim();
const seconds = (fn) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const imageSize = (ref) => Number(docker('image', 'inspect', '-f', '{{.Size}}', ref));
const log = (m) => process.stderr.write(`${m}\n`);

function fixtures(names) {
  const out = sh('bash', [join(root, 'fixtures', 'build.sh'), ...names]);
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ')));
}

function slim(src, tag, extra = []) {
  const rss = join(tmp, 'rss');
  sh(process.execPath, [cli, '--quiet', 'slim', src, '-t', tag, ...extra], { env: { ...process.env, WHITTLE_RSS_FILE: rss } });
  return Number(readFileSync(rss, 'utf8'));
}

const started = Date.now();
sh('bash', [join(root, '.ci', 'start-docker.sh')]);
if (!existsSync(cli)) sh('npm', ['run', 'build'], { cwd: root });
const results = {
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? '', memoryBytes: totalmem(), docker: docker('version', '-f', '{{.Server.Version}}'), node: process.version },
  speed: [],
  analysis: [],
  memory: [],
  size: [],
};

log('building fixtures (cached by hash)');
const tags = fixtures([...new Set([...SPEED_FIXTURES, ...SIZE_FIXTURES])]);

// Speed: whittle slim (daemon in, daemon out) against docker save of the source to /dev/null
// plus docker load of the slimmed result: the I/O any daemon-to-daemon tool must do.
for (const name of SPEED_FIXTURES) {
  const src = tags[name];
  const out = `whittle-bench/${name}:slim`;
  const whittle = [];
  const baseline = [];
  for (let i = 0; i < RUNS; i++) {
    // Both sides load into a daemon that does not have the result yet.
    spawnSync('docker', ['rmi', '-f', out], { stdio: 'ignore' });
    whittle.push(seconds(() => slim(src, out)));
    const saved = join(tmp, 'slim.tar');
    sh('bash', ['-c', `docker save ${out} > ${saved}`]);
    docker('rmi', out);
    baseline.push(seconds(() => sh('bash', ['-c', `docker save ${src} > /dev/null && docker load -q < ${saved}`])));
    rmSync(saved);
  }
  const w = median(whittle);
  const b = median(baseline);
  results.speed.push({ image: name, sourceBytes: imageSize(src), whittleSeconds: w, baselineSeconds: b, ratio: w / b });
  log(`speed ${name}: whittle ${w.toFixed(2)} s, save+load ${b.toFixed(2)} s, ratio ${(w / b).toFixed(2)}`);
  // The analysis alone: from a docker-archive already on disk, dry run (read + decide, no write).
  const archive = join(tmp, 'src.tar');
  sh('bash', ['-c', `docker save ${src} > ${archive}`]);
  const a = median(Array.from({ length: RUNS }, () => seconds(() => sh(process.execPath, [cli, '--quiet', 'slim', `docker-archive:${archive}`, '--dry-run']))));
  const cat = median(Array.from({ length: RUNS }, () => seconds(() => sh('bash', ['-c', `cat ${archive} > /dev/null`]))));
  rmSync(archive);
  results.analysis.push({ image: name, dryRunSeconds: a, readArchiveSeconds: cat, ratio: a / cat });
  log(`analysis ${name}: dry run ${a.toFixed(2)} s, reading the archive ${cat.toFixed(2)} s`);
  docker('rmi', '-f', out);
}

// Memory: peak RSS on generated images of about 0.5 GB and 1.5 GB.
log('building the memory images (once; cached by hash)');
const big = fixtures(MEMORY_FIXTURES);
for (const name of MEMORY_FIXTURES) {
  const rss = slim(big[name], `whittle-bench/${name}:slim`);
  results.memory.push({ image: name, sourceBytes: imageSize(big[name]), peakRssBytes: rss });
  log(`memory ${name}: ${mb(imageSize(big[name]))} image, peak RSS ${mb(rss)}`);
  docker('rmi', '-f', `whittle-bench/${name}:slim`);
}

// Size: whittle's output against the source and the hand-written multi-stage Dockerfile.
for (const name of SIZE_FIXTURES) {
  const out = `whittle-bench/${name}:size`;
  slim(tags[name], out);
  const scratchOut = `whittle-bench/${name}:size-scratch`;
  slim(tags[name], scratchOut, ['--base', 'scratch']);
  const row = { image: name, originalBytes: imageSize(tags[name]), whittleBytes: imageSize(out), whittleScratchBytes: imageSize(scratchOut) };
  docker('rmi', '-f', scratchOut);
  const multistage = join(root, 'fixtures', name, 'Dockerfile.multistage');
  if (existsSync(multistage)) {
    const baseTag = `whittle-bench/${name}:multistage`;
    sh('docker', ['build', '--network', 'host', '-q', '-f', multistage, '-t', baseTag, join(root, 'fixtures', name)]);
    row.multistageBytes = imageSize(baseTag);
    // The hand-written runtime stage picks its own base; whittle's best base is compared with it.
    row.ratioToMultistage = Math.min(row.whittleBytes, row.whittleScratchBytes) / row.multistageBytes;
  }
  results.size.push(row);
  log(`size ${name}: ${mb(row.originalBytes)} -> ${mb(row.whittleBytes)} (scratch ${mb(row.whittleScratchBytes)})${row.multistageBytes ? ` (hand-written ${mb(row.multistageBytes)})` : ''}`);
  docker('rmi', '-f', out);
}
results.totalSeconds = (Date.now() - started) / 1000;
rmSync(tmp, { recursive: true, force: true });

const md = [
  `# whittle benchmark`,
  '',
  `${results.machine.cores} cores (${results.machine.cpu}), ${mb(results.machine.memoryBytes)} memory, Docker ${results.machine.docker}, Node ${results.machine.node}; median of ${RUNS} runs; ${results.totalSeconds.toFixed(0)} s in all.`,
  '',
  '## Speed: whittle slim (daemon to daemon) vs docker save of the source + docker load of the result (goal: ratio at most 1.5)',
  '',
  '| image | source | whittle | save + load | ratio |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...results.speed.map((r) => `| ${r.image} | ${mb(r.sourceBytes)} | ${r.whittleSeconds.toFixed(2)} s | ${r.baselineSeconds.toFixed(2)} s | ${r.ratio.toFixed(2)} |`),
  '',
  '## Analysis alone: dry run from a docker-archive on disk vs reading the archive once',
  '',
  '| image | dry run | cat archive | ratio |',
  '| --- | ---: | ---: | ---: |',
  ...results.analysis.map((r) => `| ${r.image} | ${r.dryRunSeconds.toFixed(2)} s | ${r.readArchiveSeconds.toFixed(2)} s | ${r.ratio.toFixed(2)} |`),
  '',
  '## Memory: peak RSS of whittle slim (goal: at most 256 MB, flat)',
  '',
  '| image | size | peak RSS |',
  '| --- | ---: | ---: |',
  ...results.memory.map((r) => `| ${r.image} | ${mb(r.sourceBytes)} | ${mb(r.peakRssBytes)} |`),
  '',
  '## Size: original, whittle, hand-written multi-stage (goal: whittle at most the hand-written)',
  '',
  '| image | original | whittle (distroless) | whittle (scratch) | hand-written | best whittle / hand-written |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...results.size.map((r) => `| ${r.image} | ${mb(r.originalBytes)} | ${mb(r.whittleBytes)} | ${mb(r.whittleScratchBytes)} | ${r.multistageBytes ? mb(r.multistageBytes) : '-'} | ${r.ratioToMultistage ? r.ratioToMultistage.toFixed(2) : '-'} |`),
  '',
].join('\n');
writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(root, 'bench', 'results.md'), md);
process.stdout.write(md);
