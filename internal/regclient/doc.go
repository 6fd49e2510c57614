// Package regclient is a small client for a registry's /v2/ API: it lists
// repositories and tags, sums image sizes (for 'swarmlab images' and the
// benchmarks) and pushes images, multi-arch indexes included (for 'swarmlab
// images push'). It needs nothing but net/http, so the CLI does not carry
// the registry server's dependencies.
package regclient
