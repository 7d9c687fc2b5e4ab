/**
 * Writes the files generated-files.ts derives (the chart's crds/, deploy/, the argocd-cm snippet,
 * the docs/install.md configuration table). Run: bash tools/packaging/generate.sh.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packagingBinDir, repositoryRoot } from './chart-render.js';
import { generatedFiles, generatedFolders } from './generated-files.js';

const files = await generatedFiles(packagingBinDir());
for (const folder of generatedFolders)
  rmSync(path.join(repositoryRoot, folder), { recursive: true, force: true });
for (const [file, content] of Object.entries(files)) {
  mkdirSync(path.dirname(path.join(repositoryRoot, file)), { recursive: true });
  writeFileSync(path.join(repositoryRoot, file), content);
}
console.log(
  `wrote ${Object.keys(files).length} files: ${generatedFolders.join(', ')}, argocd-cm-health.yaml, docs/install.md`,
);
