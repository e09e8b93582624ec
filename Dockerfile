# syntax=docker/dockerfile:1
#
# Tessera as a container: one static binary on distroless, running as the
# image's non-root user, with its SQLite database in the /data volume.
#
#   docker build -t tessera .
#   docker run --rm -p 8080:8080 -v tessera-data:/data tessera
#
# With no other configuration that is local mode, with demo data, at
# http://localhost:8080 (the base URL local mode derives from
# TESSERA_ADDR=:8080). Publish on another host port, or behind a proxy, and
# set TESSERA_BASE_URL to the URL people use. See deploy/ for the rest.
#
# cmd/web/container_test.go reads this file and builds the binary with the
# same environment and flags; keep the build on one RUN line it can find.

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
