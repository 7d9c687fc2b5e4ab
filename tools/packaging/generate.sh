#!/usr/bin/env bash
# Regenerates the chart's crds/, deploy/, the argocd-cm snippet and the docs/install.md
# configuration table from their sources (see generated-files.ts). Builds helm first if needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
node --import tsx tools/packaging/generate.ts
