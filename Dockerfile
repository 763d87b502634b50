# The PBX app for docker-compose.yml (drachtio-server and FreeSWITCH run in their own images).
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig*.json ./
COPY apps ./apps
COPY packages ./packages
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund && npx tsc -b && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
# `pbx` on the PATH for `docker compose exec pbx pbx ...`.
RUN ln -s /app/apps/cli/bin/pbx.js /usr/local/bin/pbx && mkdir -p /data && chown node:node /data
USER node
# Two malloc arenas instead of one per core and thread: the SIP worker's and the main thread's
# short-lived buffers otherwise leave tens of MB of fragmented arenas resident (README, Benchmarks).
ENV NODE_ENV=production PBX_DB=/data/pbx.sqlite MALLOC_ARENA_MAX=2
VOLUME ["/data"]
# Semi-spaces of at most 8 MiB (V8's default grows them to 16): with answered transactions off the
# JS heap nothing is lost in CPU, and the young generations of the main and SIP threads take
# 50 MB less (README, Benchmarks). The media worker keeps V8's default size of its own.
CMD ["node", "--max-semi-space-size=8", "apps/pbx/dist/main.js"]
