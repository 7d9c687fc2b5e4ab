/**
 * Summarises a V8 heap snapshot (from `bench/operator-scale.ts --heap-snapshot FILE`): self size
 * and count by node type and constructor, and plain objects grouped by their property names, so
 * that what grows per bundle (cached objects, metadata, index entries) shows up by its shape.
 *
 *   node --import tsx bench/heap-summary.ts FILE [--top 25]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const [file] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: bench/heap-summary.ts FILE [--top 25]');
const topIndex = process.argv.indexOf('--top');
const top = topIndex === -1 ? 25 : Number(process.argv[topIndex + 1]);
const heap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const {
  node_fields: nodeFields,
  node_types: nodeTypes,
  edge_fields: edgeFields,
  edge_types: edgeTypes,
} = heap.snapshot.meta;
const nodeWidth = nodeFields.length;
const edgeWidth = edgeFields.length;
const field = { type: 0, name: 1, selfSize: 3, edgeCount: 4 };
const edgeField = { type: 0, nameOrIndex: 1 };
const propertyEdge = edgeTypes[0].indexOf('property');

interface Tally {
  count: number;
  bytes: number;
}
const byConstructor = new Map<string, Tally>();
const byShape = new Map<string, Tally>();
/** Strings by shape (hex and digit runs folded), and how many copies of one value the heap holds. */
const byStringPattern = new Map<string, Tally>();
const byStringValue = new Map<string, Tally>();
const add = (map: Map<string, Tally>, key: string, bytes: number): void => {
  const tally = map.get(key) ?? { count: 0, bytes: 0 };
  tally.count += 1;
  tally.bytes += bytes;
  map.set(key, tally);
};

let total = 0;
let edgeIndex = 0;
for (let node = 0; node < heap.nodes.length; node += nodeWidth) {
  const type = nodeTypes[0][heap.nodes[node + field.type] as number] as string;
  const name = heap.strings[heap.nodes[node + field.name] as number] as string;
  const bytes = heap.nodes[node + field.selfSize] as number;
  const edges = heap.nodes[node + field.edgeCount] as number;
  total += bytes;
  add(byConstructor, `${type}:${type === 'object' || type === 'native' ? name : ''}`, bytes);
  if (type === 'string') {
    add(
      byStringPattern,
      name
        .slice(0, 80)
        .replace(/[0-9a-f]{8,}/g, '<hex>')
        .replace(/\d+/g, '9'),
      bytes,
    );
    add(byStringValue, name, bytes);
  }
  if (type === 'object' && name === 'Object') {
    const properties: string[] = [];
    for (let e = 0; e < edges; e++) {
      const at = edgeIndex + e * edgeWidth;
      if (heap.edges[at + edgeField.type] === propertyEdge) {
        properties.push(heap.strings[heap.edges[at + edgeField.nameOrIndex] as number] as string);
      }
    }
    add(byShape, `{${properties.slice(0, 12).join(',')}${properties.length > 12 ? ',…' : ''}}`, bytes);
  }
  edgeIndex += edges * edgeWidth;
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(2);
const print = (title: string, map: Map<string, Tally>): void => {
  console.log(`\n${title}\n| MiB | count | what |\n| ---: | ---: | --- |`);
  for (const [key, tally] of [...map].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
    console.log(
      `| ${mib(tally.bytes)} | ${tally.count} | ${key.replaceAll('|', '\\|').replaceAll('\n', '\\n')} |`,
    );
  }
};
console.log(`${file}: ${mib(total)} MiB in ${heap.nodes.length / nodeWidth} heap objects (self sizes)`);
print('by type and constructor', byConstructor);
print('plain objects by their property names (self size only)', byShape);
print('strings by shape (hex runs and digits folded)', byStringPattern);
const copies = [...byStringValue].filter(([, tally]) => tally.count > 1);
const spare = copies.reduce((sum, [, tally]) => sum + (tally.bytes * (tally.count - 1)) / tally.count, 0);
console.log(`\nstring values held more than once: ${mib(spare)} MiB in the extra copies`);
print(
  'string values held more than once (first 80 characters)',
  new Map(copies.map(([value, tally]) => [value.slice(0, 80), tally])),
);
