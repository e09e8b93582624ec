# syntax=docker/dockerfile:1
#
# Tessera as a container: one static binary on distroless, running as the
# image's non-root user, with its SQLite database in the /data volume.
#
#   docker build --pull -t tessera .
#   docker run --rm -p 8080:8080 -v tessera-data:/data tessera
#
# With no other configuration that is local mode, with demo data, at
# http://localhost:8080 (the base URL local mode derives from
# TESSERA_ADDR=:8080). Published on another host port, set
# TESSERA_BASE_URL=http://localhost:<port>. Local mode refuses a public or
# https base URL: behind a proxy, or for anyone else to use, run it against
# Square (SQUARE_ENVIRONMENT=sandbox or production). See deploy/ for that.
#
# cmd/web/container_test.go reads this file and builds the binary with the
# same environment and flags; keep the build on one RUN line it can find.

# The golang:1.26 tag is not pinned to a patch release: it moves to each new
# 1.26.x, whose standard library carries the security fixes (Go 1.26.8 has
# known vulnerabilities fixed in 1.26.9 and 1.26.10). --pull above makes
# Docker fetch the tag's newest image instead of reusing an older one.
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a change to the code does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/web ./cmd/web
# The volume's mount point, private to the user Tessera runs as: a new named
# volume takes its owner and mode from here.
RUN install -d -m 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/web /web
COPY --from=build --chown=65532:65532 /out/data /data
ENV TESSERA_ADDR=:8080 TESSERA_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
# The image has no shell or curl: the binary asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s CMD ["/web", "healthcheck"]
ENTRYPOINT ["/web"]
