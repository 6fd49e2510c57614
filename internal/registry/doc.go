// Package registry is the lab's image registry.
//
// The server is the CNCF distribution registry used as a library, with
// filesystem storage, served by our own http.Server so that it stops on
// context cancel (distribution's Registry.ListenAndServe installs its own
// SIGTERM handler and only drains when a drain timeout is configured) and so
// that tests can run it in httptest. The lab reaches it as registry:5000 from
// its nodes and 127.0.0.1:5000 from the host. Its client is internal/regclient.
package registry
