// Package dockerconfig reads what the docker CLI keeps in its config folder
// ($DOCKER_CONFIG, default ~/.docker): the current context, the context
// store (contexts/meta and contexts/tls) and registry credentials (auths,
// credsStore, credHelpers). swarmlab only reads it: contexts are made with
// 'docker context create', logins with 'docker login'.
package dockerconfig
