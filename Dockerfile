# syntax=docker/dockerfile:1
# netprobe: one image for both roles (`netprobe cluster` and `netprobe node`).
#   docker build -t netprobe:0.1.0 .

# Build: all dependencies (TypeScript is a dev dependency), compile src/ to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, in their own stage so the build's dev dependencies never reach
# the runtime image.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime: distroless Node (no shell, no package manager), as the non-root user 65532, which the
# manifests also name in runAsUser so the kubelet can verify runAsNonRoot.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER 65532:65532
EXPOSE 9808 9809
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli.js"]
CMD ["--help"]
