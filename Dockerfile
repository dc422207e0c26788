# mcvsphere: the MCP server for VMware vSphere, with its built-in simulator.
#
#   docker build -t mcvsphere .
#   docker run --rm -i mcvsphere --simulator                       # stdio
#   docker run --rm -p 8080:8080 -e MCP_TRANSPORT=streamable-http \
#     -e MCP_ALLOW_UNAUTHENTICATED=true mcvsphere --simulator      # HTTP, trial only
#
# Stage 1 builds the release binary; stage 2 runs it as a non-root user from
# a small Debian image holding only CA certificates (for vCenter's TLS).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# The whole workspace: cargo needs every member's manifest to resolve it,
# and vcsim embeds the default inventory from fixtures/.
COPY . .
RUN cargo build --release -p mcvsphere --locked \
    && install -D -m 0755 target/release/mcvsphere /out/mcvsphere

FROM debian:bookworm-slim
# ca-certificates tracks the CA set of the release, so the newest package of
# bookworm is wanted rather than a pinned version.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/mcvsphere mcvsphere
COPY --from=build /out/mcvsphere /usr/local/bin/mcvsphere

# Numeric, so runtimes can check "not root" without reading /etc/passwd.
USER 10001:10001
WORKDIR /home/mcvsphere

# stdio by default, as MCP clients that start the container expect. For HTTP
# set MCP_TRANSPORT=streamable-http: the server listens on all interfaces of
# the container and refuses to run open unless OAuth, MCP_API_KEY or
# MCP_ALLOW_UNAUTHENTICATED=true is set.
ENV MCP_TRANSPORT=stdio \
    MCP_HOST=0.0.0.0 \
    MCP_PORT=8080 \
    LOG_LEVEL=INFO
EXPOSE 8080

# GET /health over loopback in HTTP mode; trivially healthy in stdio mode,
# where there is no socket to probe. Reads the same MCP_* variables.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["mcvsphere", "healthcheck"]

ENTRYPOINT ["mcvsphere"]
