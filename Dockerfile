# strait: multi-stage image.
# Build stage: runs scripts/bootstrap.sh, the very script a developer's install runs (Debian
# build libraries, npm ci without scripts, the worker-thread patch, one source build of the
# librdkafka binding, the load check in worker threads), so image and install cannot drift.
# Runtime stage: the shared libraries the binding links against, a non-root user, `strait` as
# entrypoint. The sandbox (local Kafka from Maven jars) is not part of the image: point strait at
# real clusters with a config file mounted into the container.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY patches ./patches
RUN bash scripts/bootstrap.sh
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY bench ./bench
COPY test ./test
RUN npx --no-install tsc -p tsconfig.json \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf dist/test

FROM node:20-bookworm-slim AS runtime
COPY scripts/debian-packages.sh /tmp/debian-packages.sh
RUN . /tmp/debian-packages.sh \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $STRAIT_RUNTIME_PACKAGES \
 && rm -rf /var/lib/apt/lists/* /tmp/debian-packages.sh \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin strait
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
USER strait
EXPOSE 9464
ENTRYPOINT ["node", "/app/bin/strait.cjs"]
CMD ["run", "--config", "/etc/strait/strait.yaml"]
