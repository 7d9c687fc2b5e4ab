# The scb-operator image: Node.js 24 LTS, production dependencies, the compiled operator and the CRDs.
# Build: docker build -t ghcr.io/scb-operator/scb-operator:$(node -p 'require("./package.json").version') .
# test/unit/packaging/dockerfile.test.ts holds the rules below.

# One pinned base for every stage, so build and runtime use the same Node.js and glibc.
ARG NODE_IMAGE=node:24.22.3-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY tools/build ./tools/build
RUN npm run build

FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# Two malloc arenas instead of one per thread (V8's workers, libuv's pool): 8-10 MiB less peak
# RSS at 1,000 bundles, no CPU cost measured (bench/README.md).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY crds ./crds
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
# V8's heap, bounded for the chart's 256Mi memory limit: a 4 MiB semi-space (young generation
# 12 MiB) and a 128 MiB old space. Unbounded, Node.js 24 let the heap grow to 164 MiB at 1,000
# bundles (peak RSS 297 MiB) with 34 MiB live; bounded, with two malloc arenas, the peak was
# 140 MiB for about 20 % more operator CPU. --optimize-for-size, the Node.js 20 choice, doubled
# the CPU on Node.js 24 (bench/README.md). Raise the old space with the memory limit when one
# operator serves many thousands of bundles.
ENTRYPOINT ["node", "--max-semi-space-size=4", "--max-old-space-size=128", "dist/operator/main.js"]
