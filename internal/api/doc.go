// Package api is the tutorial's demo service (image swtest/api). Every
// replica says who it is on /api/info — container, swarm node, task slot and
// how many requests it has served — so a learner can watch a load balancer
// spread requests and a scale-down or drain finish them. It stops gracefully:
// /healthz turns 503, the listener closes, and in-flight requests complete.
package api
