# The interop harnesses' image: ENTRYPOINT is the test binary with no arguments; it
# reads the harness's env vars. Both stages install through scripts/install-deps.sh,
# the same script CI runs, so CI exercises these steps even without a Docker engine.
FROM swift:6.1-bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/setup-python-peer.sh scripts/
RUN SKIP_PYTHON_PEER=1 scripts/install-deps.sh
COPY Package.swift ./
COPY Sources Sources
RUN swift build -c release --product libp2p-interop --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/libp2p-interop" /usr/local/bin/

FROM debian:bookworm-slim AS runtime
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh --runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh
COPY --from=build /usr/local/bin/libp2p-interop /usr/local/bin/libp2p-interop

# The perf test app's image: `docker build --target perf .`
FROM runtime AS perf
ENTRYPOINT ["/usr/local/bin/libp2p-interop", "perf"]

# The transport test's image, the default (last) stage.
FROM runtime AS transport
ENTRYPOINT ["/usr/local/bin/libp2p-interop"]
