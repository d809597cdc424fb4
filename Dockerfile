# syntax=docker/dockerfile:1
# Two stages: `build` compiles with the dev dependencies; the runtime image holds only package.json,
# the lock file, the production dependencies and dist/. With no Docker engine in CI,
# test/integration/runtime-tree.test.ts replays the runtime stage's ENV, WORKDIR, COPY and `npm ci` in a
# temporary directory, starts G6 there through ENTRYPOINT and CMD and runs this HEALTHCHECK against it;
# .dockerignore allows in only what the COPY lines name (the test checks both agree).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies (what `docker run --init` would do).
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production G6_LOG_FORMAT=json G6_DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Created owned by node before VOLUME, so a fresh named volume starts with that owner.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME /app/data
USER node
EXPOSE 4000
# Liveness, not readiness: /ready turns 503 while market data is stale, which a restart cannot fix.
# Follows G6_PORT (default 4000) and G6_HOST when it names one address; the wildcards 0.0.0.0 and ::
# (the default) are reached on 127.0.0.1. Exit 1 = unhealthy, as Docker expects.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD node -e "const h=(process.env.G6_HOST||'').trim(),p=(process.env.G6_PORT||'').trim()||'4000',a=h===''||h==='0.0.0.0'||h==='::'?'127.0.0.1':h.includes(':')?'['+h+']':h;fetch('http://'+a+':'+p+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
