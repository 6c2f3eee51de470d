# syntax=docker/dockerfile:1
# Build stage: compiles the native addons (hnswlib-node, better-sqlite3) and the TypeScript.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY bin ./bin
# The web app (chat at /, admin console at /admin): the prepare script builds it into dist/web.
COPY web ./web
# npm ci installs exactly the lockfile (and builds dist/ and dist/web through the prepare script).
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# Runtime stage: no compilers, non-root user, state in a volume.
FROM node:20-bookworm-slim
# Avatars made by /distill are written to UNDERSTUDY_AVATARS_DIR, so it lives in a volume beside the
# data; on first start the volume is seeded with the demo avatars below.
# HOST=0.0.0.0: the container port must be reachable for Slack/Feishu events (the playground then needs a token).
# MALLOC_MMAP_THRESHOLD_: unloaded indexes give their memory back to the system. Redundant since serve sets
# the same threshold itself (UNDERSTUDY_MALLOC_TUNING); harmless, and it covers every process from its start.
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 UNDERSTUDY_DATA_DIR=/data UNDERSTUDY_AVATARS_DIR=/avatars LOG_FORMAT=json MALLOC_MMAP_THRESHOLD_=1048576
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY package.json ./
# .dockerignore keeps every avatar's corpus/private/ out of the image.
COPY avatars /avatars
RUN mkdir -p /data && chown -R node:node /data /avatars
USER node
VOLUME ["/data", "/avatars"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/understudy.js", "serve"]
