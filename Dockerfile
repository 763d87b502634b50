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
ENV NODE_ENV=production PBX_DB=/data/pbx.sqlite
VOLUME ["/data"]
# A young generation of 32 MiB semi-spaces (V8's default grows to 16): what a registration holds
# for a few milliseconds dies there instead of being promoted (README, Benchmarks).
CMD ["node", "--max-semi-space-size=32", "apps/pbx/dist/main.js"]
