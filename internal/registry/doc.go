// Package registry is the lab's image registry.
//
// It serves the Registry HTTP API v2 (the OCI distribution spec, as docker
// push and pull and internal/regclient speak it) with a handler of its own
// over CNCF distribution's registry/storage, which keeps blobs, manifests,
// tags and uploads on the filesystem and checks digests and references.
// It does not link distribution's registry/handlers nor its filesystem
// driver: they bring redis, the OpenTelemetry SDK and exporters and gRPC,
// which made swarmlab-server 34.9 MB stripped (12.9 MB gzipped); without
// them, and without the CLI it used to link too, it is 18.8 MB (7.2 MB;
// docs/benchmarks.md). The driver passes distribution's own driver test
// suite (fsdriver_test.go). The data directory keeps distribution's
// layout, so volumes written by either serve the other. The server is our
// own http.Server, so that it stops on context cancel and tests can run it
// in httptest. The lab reaches it as registry:5000 from its nodes and
// 127.0.0.1:5000 from the host.
//
// Files:
//   - registry.go: Config, FromEnv, New (storage, upload purger), Serve, Run.
//   - routes.go: the /v2/ paths, read from their end since names hold slashes.
//   - handler.go: the API: base, catalog, tags, manifests, blobs, uploads,
//     and the spec's JSON errors.
//   - fsdriver.go: the storage driver, files under the data directory.
//   - logs.go: storage's logrus lines into the server's slog logger.
package registry
