FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig*.json ./
COPY apps ./apps
COPY packages ./packages
COPY migrations ./migrations
RUN npm ci && npx tsc -b && npm prune --omit=dev
CMD ["node", "apps/pbx/dist/main.js"]
