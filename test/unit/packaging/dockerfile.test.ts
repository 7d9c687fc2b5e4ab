/**
 * The Dockerfile, read statically (no Docker engine runs here, so the image itself is not built):
 * a pinned Node.js LTS base, multi-stage, production dependencies only in the final stage, a
 * numeric non-root user, the operator's entry point, and a .dockerignore that sends only what the
 * build copies. test/integration/packaging/image-layout.test.ts runs that final layout.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { repositoryRoot } from '../../support/control-plane-binaries.js';

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped; ARGs before FROM substituted. */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const [image = '', as, name] = args
        .replace(/\$\{(\w+)\}/g, (_, arg: string) => globalArgs.get(arg) ?? '')
        .split(/\s+/);
      stages.push({ base: image, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
    } else if (stages.length === 0 && keyword.toUpperCase() === 'ARG') {
      const [arg = '', value = ''] = args.split('=');
      globalArgs.set(arg, value);
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(path.join(repositoryRoot, 'Dockerfile'), 'utf8'));
const finalStage = stages.at(-1) as Stage;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

it('builds in several stages, every one from the same exactly pinned Node.js LTS image', () => {
  expect(stages.length).toBeGreaterThanOrEqual(2);
  const bases = new Set(stages.map((stage) => stage.base));
  expect(bases.size).toBe(1);
  const [base = ''] = bases;
  const match = /^node:(\d+)\.(\d+)\.(\d+)-(bookworm|bullseye|trixie)-slim$/.exec(base);
  expect({ base, pinned: match !== null }).toEqual({ base, pinned: true });
  const [major, minor] = [Number(match?.[1]), Number(match?.[2])];
  // Even majors are the LTS lines; package.json's engines says which it must satisfy.
  expect(major % 2).toBe(0);
  const { engines } = JSON.parse(readFileSync(path.join(repositoryRoot, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  const [, wantMajor, wantMinor] = /^>=(\d+)\.(\d+)$/.exec(engines.node) ?? [];
  expect(major > Number(wantMajor) || (major === Number(wantMajor) && minor >= Number(wantMinor))).toBe(true);
});

it('puts only production dependencies, the compiled operator, the CRDs and package.json in the final stage', () => {
  const copies = of(finalStage, 'COPY').map((copy) => copy.args);
  expect(of(finalStage, 'RUN')).toEqual([]);
  const dependencyCopy = copies.find((args) => args.includes('node_modules'));
  const fromStage = /--from=(\S+)/.exec(dependencyCopy ?? '')?.[1];
  const dependencyStage = stages.find((stage) => stage.name === fromStage);
  expect(of(dependencyStage as Stage, 'RUN').map((run) => run.args)).toEqual([
    expect.stringMatching(/^npm ci --omit=dev\b/),
  ]);
  const sources = copies.map((args) =>
    args
      .split(/\s+/)
      .filter((word) => !word.startsWith('--'))
      .slice(0, -1)
      .join(' '),
  );
  expect(sources.sort()).toEqual(['/app/node_modules', '/src/dist', 'crds', 'package.json'].sort());
});

it('runs as a numeric non-root user, so runAsNonRoot can verify it', () => {
  const users = of(finalStage, 'USER').map((user) => user.args);
  expect(users).toHaveLength(1);
  const [uid, gid] = (users[0] ?? '').split(':').map(Number);
  expect(uid).toBeGreaterThan(0);
  expect(gid).toBeGreaterThan(0);
});

it('starts dist/operator/main.js with a bounded V8 heap, which npm run build makes from src/operator/main.ts', () => {
  expect(of(finalStage, 'ENTRYPOINT').map((entry) => JSON.parse(entry.args) as unknown)).toEqual([
    ['node', '--max-semi-space-size=4', '--max-old-space-size=128', 'dist/operator/main.js'],
  ]);
  const build = JSON.parse(readFileSync(path.join(repositoryRoot, 'tsconfig.build.json'), 'utf8')) as {
    compilerOptions: { rootDir: string; outDir: string };
  };
  expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
  expect(existsSync(path.join(repositoryRoot, 'src/operator/main.ts'))).toBe(true);
});

it('sends the build only what the Dockerfile copies from the context (.dockerignore)', () => {
  const patterns = readFileSync(path.join(repositoryRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  // Everything is excluded first; the exceptions are the allow-list.
  expect(patterns[0]).toBe('*');
  const allowed = patterns.slice(1).map((pattern) => pattern.replace(/^!/, '').replace(/\/$/, ''));
  const fromContext = stages
    .flatMap((stage) => of(stage, 'COPY'))
    .filter((copy) => !copy.args.includes('--from='))
    .flatMap((copy) => copy.args.split(/\s+/).slice(0, -1));
  expect(allowed.sort()).toEqual([...new Set(fromContext.map((source) => source.replace(/\/$/, '')))].sort());
});

it("bounds V8's heap well inside the chart's default memory limit", () => {
  const flags = (JSON.parse(of(finalStage, 'ENTRYPOINT')[0]?.args ?? '[]') as string[]).filter((arg) =>
    arg.startsWith('--'),
  );
  const mib = (flag: string) => Number(flags.find((arg) => arg.startsWith(`${flag}=`))?.split('=')[1]);
  // The young generation is three semi-spaces (two plus the new large-object space).
  const heapMiB = mib('--max-old-space-size') + 3 * mib('--max-semi-space-size');
  const values = yaml.load(
    readFileSync(path.join(repositoryRoot, 'charts/scb-operator/values.yaml'), 'utf8'),
  ) as {
    resources: { limits: { memory: string } };
  };
  const limitMiB = Number(/^(\d+)Mi$/.exec(values.resources.limits.memory)?.[1]);
  // Code, Node.js itself and native buffers took about 90 MiB more at 1,000 bundles.
  expect({ heapMiB, limitMiB, fits: heapMiB + 90 <= limitMiB }).toEqual({
    heapMiB: 140,
    limitMiB,
    fits: true,
  });
});
