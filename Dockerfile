# idx-sim: build with the toolchain better-sqlite3 needs, run on a slim image without it.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# 0.0.0.0 is not loopback: the control API key is then IDX_SIM_ADMIN_KEY, or one generated at first start
# into /app/data/admin-key and printed once (the documented default idx-sim-admin is refused). Clients in
# other containers reach the hub as idx-sim; add names with IDX_SIM_SERVER_HOSTS.
ENV NODE_ENV=production \
    IDX_SIM_HOST=0.0.0.0 \
    IDX_SIM_SERVER_HOSTS=localhost,127.0.0.1,::1,idx-sim \
    IDX_SIM_DATA_DIR=/app/data \
    IDX_SIM_CERTS_DIR=/app/certs \
    IDX_SIM_FIXTURES_DIR=/app/fixtures \
    IDX_SIM_REPORTS_DIR=/app/data/reports
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The web pages' stylesheet and scripts (served from src/web/assets, see src/web/shared/assets.ts).
COPY --from=build /app/src/web/assets ./src/web/assets
COPY package.json ./
COPY bin ./bin
COPY openapi ./openapi
COPY fixtures ./fixtures
# `idx-sim scenario run|validate` checks scenario files against this schema, and the pack runs as it is in the repo:
# docker run … idx-sim scenario run scenarios/ --out /app/data/reports/<run> (where the console lists runs)
COPY schemas ./schemas
COPY scenarios ./scenarios
RUN mkdir -p /app/data /app/certs && chown node:node /app/data /app/certs
USER node
VOLUME ["/app/data", "/app/certs"]
EXPOSE 8443
# Liveness over the server's own HTTPS (dev CA, so no verification; /sim/v1/health needs no key or certificate).
# CI waits on /sim/v1/ready the same way.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('https').get({host:'127.0.0.1',port:process.env.IDX_SIM_PORT||8443,path:'/sim/v1/health',rejectUnauthorized:false,timeout:2500},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/idx-sim.js"]
CMD ["start"]
